"""The mechanism behind every "may this person do this now?" (complaints/policy.py,
hearings/policy.py): each action is one check that says why not, in words the person reads, or None
when allowed. A `Policy` turns each check into a `rules` predicate `may_<action>(user, obj)` and
answers three questions about it:

    policy.allowed(ACTION, user, obj)   # a yes/no (templates, selectors)
    policy.why_not(ACTION, user, obj)   # the Refusal the person reads (views)
    policy.ensure(ACTION, user, obj)    # services, under the row lock: raise the app's error

A refusal is `forbidden` when it is about who the person is (a view answers 403) and not when it is
about the moment (a view shows it as a message)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import rules
from django.utils.translation import gettext as _

from parties.models import User


@dataclass(frozen=True)
class Refusal:
    """Why not, in words the person reads; `forbidden`: because of who they are, not of when."""

    message: str
    forbidden: bool = False

    def __str__(self) -> str:
        return self.message


def not_you(message: str) -> Refusal:
    return Refusal(message, forbidden=True)


def not_now(message: str) -> Refusal:
    return Refusal(message)


Check = Callable[[User, Any], Refusal | None]


class Policy:
    def __init__(self, error: type[Exception]) -> None:
        self.error = error
        self.rules = rules.RuleSet()
        self._checks: dict[str, Check] = {}

    def action(self, name: str) -> Callable[[Check], rules.Predicate]:
        """Declare `name`'s check; what it returns is the `may_<name>` predicate."""

        def register(check: Check) -> rules.Predicate:
            predicate = rules.Predicate(lambda user, obj: self.why_not(name, user, obj) is None, name=f"may_{name}")
            self.rules.add_rule(name, predicate)
            self._checks[name] = check
            return predicate

        return register

    def why_not(self, action: str, user: User | None, obj: object) -> Refusal | None:
        """The refusal a person reads, or None when `user` may do `action` to `obj` now."""
        if user is None or not user.is_authenticated:
            return not_you(_("Sign in first."))
        return self._checks[action](user, obj)

    def allowed(self, action: str, user: User | None, obj: object) -> bool:
        return self.why_not(action, user, obj) is None

    def ensure(self, action: str, user: User | None, obj: object) -> None:
        """For services, under the row lock: raise the refusal as the app's error."""
        refusal = self.why_not(action, user, obj)
        if refusal is not None:
            raise self.error(refusal.message)
