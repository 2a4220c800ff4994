"""Ask the user to approve a call before it runs: Allow / Deny buttons under its step."""

from __future__ import annotations

from dataclasses import dataclass

from .actions import Action
from .asks import wait_for_answer_to
from .steps import Step
from .waits import live_session


@dataclass(frozen=True)
class Approval:
    approved: bool
    #: The id of the clicked Allow button (sent with the call, see ``call_fn``).
    action_id: str | None = None
    #: Why it was not approved, for the user and the model.
    reason: str = ""


def ask_approval(step: Step, *, timeout: float | None = None) -> Approval:
    """Show Allow / Deny under ``step`` (its input shows the call) and wait for a click
    (``COPILOT_ASK_TIMEOUT`` by default). Raises the stop signal on stop."""
    session = live_session("An approval")
    timeout = session.settings.ask_timeout if timeout is None else timeout
    step.actions = [Action("allow", label="Allow"), Action("deny", label="Deny")]
    step.update()
    answer, reason = wait_for_answer_to(session, step, "action", timeout)
    if answer is not None and answer.get("name") == "allow":
        return Approval(True, action_id=str(answer["id"]))
    if answer is not None:
        return Approval(False, reason="The user declined this call.")
    if reason == "timeout":
        return Approval(False, reason=f"The user did not approve this call within {timeout:g} s.")
    return Approval(False, reason="The user left before approving this call.")
