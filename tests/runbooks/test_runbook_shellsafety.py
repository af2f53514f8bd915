"""Alert text never becomes code, in any shell context: hostile values thrown at every shell
context with execution enabled, through the real runner, a real bash and `sh`.

The guarantee is the inert-word rule (warroom.runbooks.inert): an alert-filled value with a
metacharacter or whitespace is refused wherever it lands, including contexts the nested-shell
analysis does not recognise (TRYOUT). `free_text: true` parameters keep the old behaviour:
quoted for the runner's shell, refused in the nested contexts the analysis finds.

`ssh` and `kubectl` are stand-ins on PATH that behave like the real clients at the seam that
matters: ssh joins its remote words with spaces and hands them to a shell; kubectl exec runs
the words after `--` as an argument vector."""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warroom.runbooks.executors.shell import ShellPolicy, run_shell
from warroom.runbooks.inert import INERT_WORD, MAX_LENGTH, pattern_problem, value_problem
from warroom.runbooks.shellsafety import ValueRule, env_name, nested_uses, parameter_env

MARKER = "pwned-marker"

# Contexts a label may safely reach: the runner's own shell, or the environment form.
SAFE = {
    "bare": "printf '[%s]' {{p}}",
    "double-quoted": 'printf "[%s]" "{{p}}"',
    "single-quoted": "printf '[%s]' '{{p}}'",
    "cmdsub": 'printf "[%s]" "$(printf %s {{p}})"',
    "pipe-to-cat": "printf '[%s]' {{p}} | cat",
    "env-in-sh-c": """sh -c 'printf "[%s]" "$WR_P_P"'""",
    "env-in-bash-c": """bash -c 'printf "[%s]" "$WR_P_P"'""",
    "arg-after-sh-c": """sh -c 'printf "[%s]" "$1"' _ {{p}}""",
    "env-in-eval": """eval 'printf "[%s]" "$WR_P_P"'""",
    "kubectl-exec-arg": """kubectl exec web-0 -- sh -c 'printf "[%s]" "$1"' _ {{p}}""",
    "ssh-printf-q": """ssh bastion "printf '[%s]' $(printf %q "$WR_P_P")" """,
    "env-in-quoted-heredoc-to-sh": "sh <<'EOF'\nprintf '[%s]' \"$WR_P_P\"\nEOF",
}
# Contexts where a second interpreter parses the text: refused for alert-filled values.
NESTED = {
    "sh-c-double": 'sh -c "printf %s {{p}}"',
    "bash-c-single": "bash -c 'printf %s {{p}}'",
    "bash-lc": 'bash -lc "printf %s {{p}}"',
    "eval": 'eval "printf %s {{p}}"',
    "eval-bare": "eval printf %s {{p}}",
    "ssh-quoted": 'ssh bastion "printf %s {{p}}"',
    "ssh-words": "ssh -p 22 bastion printf %s {{p}}",
    "kubectl-exec-sh-c": 'kubectl exec -n prod web-0 -- sh -c "printf %s {{p}}"',
    "heredoc-to-sh": "sh <<EOF\nprintf %s {{p}}\nEOF",
    "heredoc-to-ssh": "ssh bastion <<'EOF'\nprintf %s {{p}}\nEOF",
    "pipe-to-sh": "echo printf %s {{p}} | sh",
    "herestring-to-bash": 'bash <<< "printf %s {{p}}"',
    "find-exec-sh-c": 'find . -maxdepth 0 -exec sh -c "printf %s {{p}}" \\;',
    "cmdsub-holding-sh-c": 'echo "$(sh -c "printf %s {{p}}")"',
    "python-c": "python3 -c \"print('{{p}}')\"",
    "procsub-script": "bash <(echo printf %s {{p}})",
}
# Contexts from a security tryout that the nested-shell analysis does not (all) recognise:
# each really runs alert text when nothing refuses it (see the test further down).
TRYOUT = {
    "heredoc-cat-pipe-sh": "cat <<EOF | sh\necho {{p}}\nEOF",
    "heredoc-to-file-then-sh": "cat > s.sh <<EOF\necho {{p}}\nEOF\nsh s.sh",
    "dot-stdin-herestring": ". /dev/stdin <<< {{p}}",
    "flock-c": 'touch f; flock f -c "echo {{p}}"',
    "shell-in-variable": 'S=sh; $S -c "echo {{p}}"',
    "trap": 'trap "echo {{p}}" EXIT',
    "variable-into-sh-c": 'X={{p}}; sh -c "echo $X"',
    "env-in-double-quoted-sh-c": 'sh -c "echo $WR_P_P"',
    "env-in-eval": 'eval "echo $WR_P_P"',
    "eval-positional": """sh -c 'eval "$1"' _ {{p}}""",
    "arithmetic": "bash -c '[[ $1 -eq 1 ]]' _ {{p}}",
    "xargs-sh-c": "echo {{p}} | xargs -I% sh -c 'echo %'",
    "echo-to-script": "echo {{p}} > s.sh; sh s.sh",
    "awk-system-argv": "awk 'BEGIN{system(ARGV[1])}' {{p}}",
    "perl-system-argv": "perl -e 'system($ARGV[0])' {{p}}",
    "python-system-argv": "python3 -c 'import os,sys; os.system(sys.argv[1])' {{p}}",
    "awk-system-stdin": "echo {{p}} | awk '{system($0)}'",
    "sed-script": "printf 'x\\n' > file; sed -n {{p}} file",
    "awk-program": "printf 'x\\n' > file; awk {{p}} file",
}
# What makes each TRYOUT context execute, when nothing refuses the value.
TRYOUT_ATTACK = {
    "arithmetic": f"a[$(touch {MARKER})]",
    "sed-script": f"1e touch {MARKER}",
    "awk-program": f'BEGIN{{system("touch {MARKER}")}}',
    "awk-system-argv": f"touch {MARKER}",
    "perl-system-argv": f"touch {MARKER}",
    "python-system-argv": f"touch {MARKER}",
    "awk-system-stdin": f"touch {MARKER}",
    "xargs-sh-c": f"x; touch {MARKER}",
}
BENIGN = ["web-1.example.com", "host:9100", "checkout-7d9f8b6c4-x2x7q", "10.0.0.12",
          "eu-west-1", "user@db-2", "a=b", "50%", "v1.2.3+build"]
FRAGMENTS = [f"; touch {MARKER}", f"$(touch {MARKER})", f"`touch {MARKER}`",
             f"' ; touch {MARKER} ; '", f'" ; touch {MARKER} ; "', f"\ntouch {MARKER}\n",
             f"| touch {MARKER}", f"&& touch {MARKER}",
             f"');import os;os.system('touch {MARKER}')#",
             "\\", "'", '"', "$", "EOF", "\n", "%q", "*", " ", "x"]


def _fakes(root: Path) -> dict[str, str]:
    bin_dir = root / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text(
        "#!/bin/bash\n# like ssh: options, a destination, then remote words joined for a shell\n"
        'while [[ "$1" == -* ]]; do [[ "$1" == -p ]] && shift; shift; done\nshift\n'
        'if [ $# -eq 0 ]; then exec /bin/bash; fi\nexec /bin/bash -c "$*"\n')
    (bin_dir / "kubectl").write_text(
        "#!/bin/bash\n# like kubectl exec: the words after -- are the argument vector\n"
        'while [ "$1" != -- ]; do shift; done\nshift\nexec "$@"\n')
    for tool in ("ssh", "kubectl"):
        (bin_dir / tool).chmod(0o755)
    return {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(root)}


def _run(template: str, value: str,
         untrusted: tuple[str, ...] | dict[str, ValueRule] = ("p",)
         ) -> tuple[str, str, str, bool]:
    """(outcome, output, detail, marker created) for one execution in a fresh directory."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        work = root / "work"
        work.mkdir()
        policy = ShellPolicy(mode="enabled", workdir=work, timeout=timedelta(seconds=20))
        result = run_shell(template, {"p": value}, policy, base_env=_fakes(root),
                           untrusted=untrusted, step_id="probe")
        pwned = (work / MARKER).exists() or (root / MARKER).exists()
        return result.outcome, result.output, result.detail, pwned


hostile = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=5).map("".join)


FREE = {"p": ValueRule(source="label:p", free_text=True)}
hostile_word = hostile.filter(lambda v: value_problem(v) is not None)
benign = st.one_of(st.sampled_from(BENIGN), st.from_regex(INERT_WORD, fullmatch=True).map(
    lambda v: v[:MAX_LENGTH]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=hostile_word, context=st.sampled_from(sorted({**SAFE, **NESTED, **TRYOUT})))
def test_hostile_labels_are_refused_in_every_context(value: str, context: str) -> None:
    outcome, _output, detail, pwned = _run({**SAFE, **NESTED, **TRYOUT}[context], value)
    assert not pwned, (context, value)
    assert outcome == "failed" and detail.startswith("refused: step 'probe'"), detail
    assert "parameter 'p'" in detail


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=benign, context=st.sampled_from(sorted(SAFE)))
def test_benign_labels_run_in_safe_contexts(value: str, context: str) -> None:
    outcome, output, detail, pwned = _run(SAFE[context], value)
    assert not pwned
    assert outcome == "ok", (context, value, detail)
    assert output == f"[{value}]", (context, value)


@pytest.mark.parametrize("value", BENIGN)
@pytest.mark.parametrize("context", ["variable-into-sh-c", "env-in-double-quoted-sh-c",
                                     "env-in-eval", "xargs-sh-c", "arg-after-sh-c"])
def test_benign_labels_still_reach_nested_shells_through_variables(value: str,
                                                                   context: str) -> None:
    outcome, output, detail, _pwned = _run({**SAFE, **TRYOUT}[context], value)
    assert outcome == "ok", detail
    assert value in output


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=hostile, context=st.sampled_from(sorted(SAFE)))
def test_free_text_labels_stay_one_inert_word_in_safe_contexts(value: str, context: str
                                                               ) -> None:
    outcome, output, detail, pwned = _run(SAFE[context], value, untrusted=FREE)
    assert not pwned, (context, value)
    assert outcome == "ok", (context, value, detail)
    if context == "cmdsub":   # $(...) drops trailing newlines, as the shell always does
        value = value.rstrip("\n")
    assert output == f"[{value}]", (context, value)


@pytest.mark.parametrize("context", sorted(TRYOUT))
def test_without_the_allowlist_each_tryout_context_really_runs_the_label(context: str
                                                                         ) -> None:
    """The TRYOUT contexts are live: without the value rule, alert text executes."""
    attack = TRYOUT_ATTACK.get(context, f"x; touch {MARKER}")
    assert _run(TRYOUT[context], attack, untrusted=())[3], context
    outcome, _output, detail, pwned = _run(TRYOUT[context], attack)
    assert not pwned and outcome == "failed", (context, detail)


def test_the_value_refusal_names_step_parameter_source_character_and_opt_out() -> None:
    rules = {"p": ValueRule(source="annotation:summary")}
    _outcome, _output, detail, _pwned = _run("echo {{p}}", "disk full", untrusted=rules)
    assert detail == (
        "refused: step 'probe' uses parameter 'p' (filled from annotation:summary), whose "
        "value is not one inert word: it contains ' ' (U+0020) at position 5 — refused, so "
        "alert text cannot become code. If the value is legitimate, declare what it may "
        "contain with `pattern: <regex>` on parameter 'p' (no shell metacharacters or "
        "whitespace), or, only if every use is inside one shell's quotes, `free_text: true`")
    assert "starts with '-'" in _run("echo {{p}}", "-rf")[2]
    assert "at most 256" in _run("echo {{p}}", "a" * 257)[2]


def test_a_parameter_pattern_widens_the_rule_but_never_past_metacharacters() -> None:
    rules = {"p": ValueRule(source="label:p", pattern=r"[a-z]+(_[a-z]+)*")}
    assert _run("printf '[%s]' {{p}}", "disk_full", untrusted=rules)[:2] == (
        "ok", "[disk_full]")
    assert "does not match the parameter's pattern" in _run(
        "echo {{p}}", "Disk", untrusted=rules)[2]
    assert pattern_problem(r"[\w.-]+") is None
    for bad in (r".*", r"\S+", r"[^/]+", r"[a-z ]+", r"x;y", r"[a-z$]+", r"(a|\()+", r"[\s\w]+"):
        assert pattern_problem(bad), bad


def test_unused_hostile_labels_are_kept_out_of_the_environment() -> None:
    """A step that does not use the parameter still runs; the script it calls never sees
    the hostile value."""
    with tempfile.TemporaryDirectory() as tmp:
        policy = ShellPolicy(mode="enabled", workdir=Path(tmp), timeout=timedelta(seconds=20))
        result = run_shell("env", {"p": "x; touch m", "q": "web-1"}, policy,
                           base_env={"PATH": os.environ["PATH"]}, untrusted=("p", "q"))
    assert result.outcome == "ok"
    assert "WR_P_P=" not in result.output and "WR_P_Q=web-1" in result.output


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=hostile, context=st.sampled_from(sorted(NESTED)))
def test_hostile_labels_in_a_nested_shell_are_refused(value: str, context: str) -> None:
    outcome, _output, detail, pwned = _run(NESTED[context], value, untrusted=FREE)
    assert not pwned, (context, value)
    assert outcome == "failed"
    assert detail.startswith("refused: step 'probe' puts parameter 'p'"), detail


@pytest.mark.parametrize("context", sorted(set(NESTED) - {"python-c"}))
def test_without_the_refusal_each_nested_context_really_runs_the_label(context: str) -> None:
    """The contexts above are live: first-shell quoting alone lets the label execute."""
    _outcome, _output, _detail, pwned = _run(NESTED[context], f"x; touch {MARKER}",
                                             untrusted=())
    assert pwned, context


def test_python_c_really_runs_the_label_without_the_refusal() -> None:
    value = f"');import os;os.system('touch {MARKER}')#"
    assert _run(NESTED["python-c"], value, untrusted=())[3]


def test_the_refusal_names_the_context_and_the_safe_form() -> None:
    _outcome, _output, detail, _pwned = _run(NESTED["sh-c-double"], "x")
    assert "inside sh -c" in detail and "\"$WR_P_P\"" in detail
    _outcome, _output, detail, _pwned = _run(NESTED["ssh-quoted"], "x")
    assert "ssh" in detail and "printf %q" in detail


def test_values_reach_the_environment_under_their_own_names() -> None:
    assert parameter_env({"pod": "a b", "namespace_2": "x"}) == {
        "WR_P_POD": "a b", "WR_P_NAMESPACE_2": "x"}
    assert env_name("pod") == "WR_P_POD"


@pytest.mark.parametrize(("command", "expected"), [
    ("echo {{p}}", []),
    ("sh -c 'echo \"$1\"' _ {{p}}", []),
    ("cat <<EOF > /tmp/x.yaml\nname: {{p}}\nEOF", [("p", "a here-doc", False)]),
    ("kubectl exec -i web-0 -- sh <<EOF\necho {{p}}\nEOF", [("p", "a here-doc read by sh",
                                                             True)]),
    ("echo {{p}} 2>&1 | tee /tmp/log | bash", [("p", "a pipe into bash", True)]),
    ("sudo -u app bash -c \"{{p}}\"", [("p", "bash -c", True)]),
    ("watch -n 5 kubectl get pod {{p}}",
     [("p", "watch (runs its arguments through sh -c)", True)]),
    ("ssh -i key {{p}} uptime", [("p", "an ssh option or destination", False)]),
    ("echo ${p}; for p in 1 2; do sh -c \"echo ${p}\"; done", []),  # a shell variable
    ("echo '{{p}}' # then: sh -c {{p}}", []),   # comment text
])
def test_nested_uses_are_found_where_a_second_parser_reads_the_text(
        command: str, expected: list[tuple[str, str, bool]]) -> None:
    assert [(u.parameter, u.context, u.code) for u in nested_uses(command, {"p"})] == expected


def _real_ssh(value: str, untrusted: tuple[str, ...]) -> tuple[str, bool]:
    """`ssh {{host}} true` through the real /usr/bin/ssh; (detail, marker created)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        policy = ShellPolicy(mode="enabled", workdir=work, timeout=timedelta(seconds=30))
        result = run_shell("ssh -o BatchMode=yes {{host}} true", {"host": value}, policy,
                           base_env={"PATH": os.environ["PATH"], "HOME": tmp},
                           untrusted=untrusted, step_id="login")
        return result.detail, (work / MARKER).exists()


@pytest.mark.skipif(not Path("/usr/bin/ssh").exists(), reason="needs the real ssh client")
def test_a_label_that_ssh_would_read_as_an_option_is_refused() -> None:
    attack = f"-oProxyCommand=touch {MARKER}"
    _detail, pwned = _real_ssh(attack, untrusted=())
    assert pwned   # the attack is live: one quoted word is still an ssh option
    detail, pwned = _real_ssh(attack, untrusted=("host",))
    assert not pwned
    assert detail.startswith("refused: step 'login' passes parameter 'host' to ssh as an ssh "
                             "option or destination"), detail


TOKENS = [*"ab -c|;&()<>'\"`$\\{}#\n\tEOF", "{{p}}", "${p}", "sh ", "ssh ", "<<", "eval ",
          "$(", "<<<"]


@settings(max_examples=300, deadline=None)
@given(command=st.lists(st.sampled_from(TOKENS), max_size=30).map("".join))
def test_any_text_is_analysed_without_crashing(command: str) -> None:
    for use in nested_uses(command, {"p"}):
        assert use.parameter == "p" and use.context


@pytest.mark.skipif(not Path("/usr/bin/ssh").exists(), reason="needs the real ssh client")
def test_a_label_given_to_ssh_dash_o_is_refused() -> None:
    def attempt(value: str, untrusted: tuple[str, ...]) -> tuple[str, bool]:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            policy = ShellPolicy(mode="enabled", workdir=work, timeout=timedelta(seconds=30))
            result = run_shell("ssh -o {{opt}} -o BatchMode=yes 127.0.0.9 true",
                               {"opt": value}, policy,
                               base_env={"PATH": os.environ["PATH"], "HOME": tmp},
                               untrusted=untrusted, step_id="login")
            return result.detail, (work / MARKER).exists()

    assert attempt(f"ProxyCommand=touch {MARKER}", ())[1]   # live without the refusal
    for value in (f"ProxyCommand=touch {MARKER}", "ProxyCommand=touch"):
        detail, pwned = attempt(value, ("opt",))
        assert not pwned and detail.startswith("refused: step 'login'"), detail
    assert "an ssh -o option" in attempt("ProxyCommand=touch", ("opt",))[0]
