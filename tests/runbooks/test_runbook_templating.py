"""Parameter references and context-aware shell quoting, proved against a real bash."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warroom.runbooks.templating import RenderError, references, render_shell, render_text

# Each template echoes the value between markers; the expected output is computed in Python.
TEMPLATES = {
    "bare": ("printf '[%s]' {{v}}", "[{v}]"),
    "double": ('printf "[%s]" "pre {{v}} post"', "[pre {v} post]"),
    "single": ("printf '[%s]' 'pre {{v}} post'", "[pre {v} post]"),
    "cmdsub-in-double": ('printf "[%s]" "$(printf %s {{v}})"', "[{v}]"),
    "dollar-brace": ("printf '[%s]' ${v}", "[{v}]"),
    "heredoc": ("cat <<EOF\n[{{v}}]\nEOF", "[{v}]\n"),
}
HOSTILE = ["; touch {marker}", "$(touch {marker})", "`touch {marker}`", "' ; touch {marker} '",
           '" ; touch {marker} "', "\ntouch {marker}", "a\\", "${{IFS}}", "EOF\ntouch {marker}"]


def run(command: str, cwd: Path) -> str:
    done = subprocess.run(["/bin/bash", "-c", command], capture_output=True, cwd=cwd,
                          timeout=10, check=False)
    return done.stdout.decode("utf-8", errors="surrogateescape")


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@pytest.mark.parametrize("attack", HOSTILE)
def test_known_injections_stay_text(tmp_path: Path, name: str, attack: str) -> None:
    marker = tmp_path / "pwned"
    value = attack.format(marker=marker)
    template, expected = TEMPLATES[name]
    try:
        command = render_shell(template, {"v": value})
    except RenderError:
        assert name == "heredoc" and "\n" in value
        return
    assert run(command, tmp_path) == expected.format(v=value)
    assert not marker.exists()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(alphabet=st.characters(blacklist_categories=["Cs"],
                                            blacklist_characters="\x00"), max_size=40),
       name=st.sampled_from(sorted(TEMPLATES)))
def test_any_value_is_passed_through_verbatim(tmp_path: Path, value: str, name: str) -> None:
    template, expected = TEMPLATES[name]
    try:
        command = render_shell(template, {"v": value})
    except RenderError:
        assert name == "heredoc" and ("\n" in value or "\r" in value)
        return
    if name == "cmdsub-in-double":   # $(...) drops trailing newlines, as bash always does
        value = value.rstrip("\n")
    assert run(command, tmp_path) == expected.format(v=value)
    assert list(tmp_path.iterdir()) == []


def test_backticks_and_nul_bytes_are_refused() -> None:
    with pytest.raises(RenderError, match=r"\$\(\.\.\.\)"):
        render_shell("echo `echo {{v}}`", {"v": "x"})
    with pytest.raises(RenderError, match="NUL"):
        render_shell("echo {{v}}", {"v": "a\x00b"})
    with pytest.raises(RenderError, match="declare it"):
        render_shell("echo {{missing}}", {})


def test_literal_braces_and_shell_variables_are_left_alone() -> None:
    assert render_shell("kubectl get -o go-template='\\{{.x}}' {{v}}", {"v": "a"}) == \
        "kubectl get -o go-template='{{.x}}' a"
    assert render_shell("echo $HOME ${PATH} ${other}", {"v": "x"}) == \
        "echo $HOME ${PATH} ${other}"


def test_references_skip_variables_the_command_assigns() -> None:
    assert references("for i in 1; do echo ${i} {{ns}}; done", shell=True) == ["ns"]
    assert references("echo ${pod} {{ns}} {{pod}}") == ["pod", "ns"]


def test_render_text_escapes_through_the_given_function() -> None:
    assert render_text("/q?x={{v}}", {"v": "a b"}, lambda s: s.replace(" ", "%20")) == "/q?x=a%20b"
