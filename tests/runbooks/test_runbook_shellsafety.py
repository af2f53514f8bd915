"""Alert text never becomes code through a second shell: hostile values thrown at every shell
context with execution enabled, through the real runner, a real bash and `sh`.

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
from warroom.runbooks.shellsafety import env_name, nested_uses, parameter_env

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


def _run(template: str, value: str, untrusted: tuple[str, ...] = ("p",)
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


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=hostile, context=st.sampled_from(sorted(SAFE)))
def test_hostile_labels_stay_one_inert_word_in_safe_contexts(value: str, context: str) -> None:
    outcome, output, detail, pwned = _run(SAFE[context], value)
    assert not pwned, (context, value)
    assert outcome == "ok", (context, value, detail)
    if context == "cmdsub":   # $(...) drops trailing newlines, as the shell always does
        value = value.rstrip("\n")
    assert output == f"[{value}]", (context, value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=hostile, context=st.sampled_from(sorted(NESTED)))
def test_hostile_labels_in_a_nested_shell_are_refused(value: str, context: str) -> None:
    outcome, _output, detail, pwned = _run(NESTED[context], value)
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
