"""How allauth creates accounts here: signup only ever makes consumers, and an invitation's
e-mail counts as verified because the link reached that inbox."""

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from parties.models import Role, User

INVITATION_SESSION_KEY = "concilia_invitation_token"


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: User, form, commit: bool = True) -> User:
        user = super().save_user(request, user, form, commit=False)
        user.role = Role.CONSUMER  # staff roles are granted by a supervisor or in the admin, never here
        user.email = user.email.lower()
        if commit:
            user.save()
            self._accept_stashed_invitation(request, user)
        return user

    def _accept_stashed_invitation(self, request: HttpRequest, user: User) -> None:
        from parties.models import Invitation
        from parties.services import InvitationError, invitation_accept

        token = request.session.pop(INVITATION_SESSION_KEY, None)
        if not token:
            return
        invitation = Invitation.objects.filter(token=token).first()
        if invitation is None:
            return
        try:
            invitation_accept(invitation=invitation, user=user)
        except InvitationError:
            # The signup stands; the person sees the invitation's problem when they open it again.
            return
