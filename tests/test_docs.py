"""The README and docs/ tell a new user what they need, and cannot drift from the code:
the configuration table lists exactly the config schema's keys, recipes run the mode
their worker class needs, and each page shows what the issue-19 walk-through missed."""

from __future__ import annotations

import re

import pytest

from flask_copilot.config import AUTH_MODES, CONFIG_KEYS
from tests.servers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = {path.name: path.read_text(encoding="utf-8") for path in (ROOT / "docs").glob("*.md")}


def section(text: str, heading: str) -> str:
    """The body of the ``## heading`` section (up to the next ``## ``)."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"no section {heading!r}"
    return match.group(1)


def test_the_configuration_table_lists_exactly_the_config_keys() -> None:
    rows = [line for line in section(README, "Configuration").splitlines() if line.startswith("|")]
    in_table = {
        key for row in rows for key in re.findall(r"`(COPILOT_[A-Z0-9_]+)`", row.split("|")[1])
    }
    assert in_table - set(CONFIG_KEYS) == set(), "rows for keys the schema does not have"
    assert set(CONFIG_KEYS) - in_table == set(), "schema keys missing from the README table"


def commands(text: str) -> list[str]:
    """Shell commands of recipes: lines of fenced code blocks and table cells."""
    found = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif fenced:
            found.append(line)
        elif line.startswith("|"):
            found += re.findall(r"`([^`]*gunicorn [^`]*)`", line)
    return [line for line in found if line.lstrip().startswith(("gunicorn ", "COPILOT_"))]


@pytest.mark.parametrize("name", ["README.md", "deploy.md"])
def test_gunicorn_recipes_run_the_mode_of_their_worker(name: str) -> None:
    text = README if name == "README.md" else DOCS[name]
    recipes = commands(text)
    assert recipes
    for recipe in recipes:
        worker = re.search(r"-k (\w+)", recipe)
        mode = re.search(r"COPILOT_ASYNC_MODE=(\w+)", recipe)
        assert worker, f"no worker class (-k) in {recipe!r}: gunicorn's sync default holds"
        if mode:
            wanted = {"gthread": "threading"}.get(worker.group(1), worker.group(1))
            assert mode.group(1) == wanted, recipe


@pytest.mark.parametrize("name", ["README.md", "page-functions.md"])
def test_function_calls_show_the_page_side_next_to_the_python_side(name: str) -> None:
    text = section(README, "Calling the page's functions") if name == "README.md" else DOCS[name]
    for needed in (
        "CopilotFunction(",
        ".call(timeout=",
        "CopilotFunctionError",
        "CopilotFunctionTimeout",
        'addEventListener("copilot-call-fn"',
        "e.detail",
        "{ name, args, callback }",
        "callback(new Error(",
        ".then(",  # a Promise
    ):
        assert needed in text, f"{name} does not show {needed!r}"


@pytest.mark.parametrize("name", ["README.md", "auth.md"])
def test_the_auth_modes_and_keys_are_documented(name: str) -> None:
    text = README if name == "README.md" else DOCS[name]
    for mode in AUTH_MODES:
        assert f"`{mode}`" in text
    for needed in (
        "COPILOT_AUTH",
        "SECRET_KEY",
        "@copilot.identity_loader",
        "export COPILOT_AUTH_SECRET=$(flask copilot create-secret)",
    ):
        assert needed in text, f"{name} does not say {needed!r}"


def test_the_testing_section_names_the_extra() -> None:
    assert 'pip install "flask-copilot[testing]"' in section(README, "Testing your copilot")


def test_the_readme_links_only_to_files_that_exist() -> None:
    for target in re.findall(r"\]\(([^)#:]+)\)", README):
        assert (ROOT / target).exists(), target
