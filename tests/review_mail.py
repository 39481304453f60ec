"""An e-mail backend for the review tests that fails its first send, then delivers to the outbox."""

from __future__ import annotations

from typing import Any

from django.core.mail.backends.locmem import EmailBackend


class FailingOnceBackend(EmailBackend):
    failures_left = 1

    def send_messages(self, messages: Any) -> int:
        if FailingOnceBackend.failures_left > 0:
            FailingOnceBackend.failures_left -= 1
            raise ConnectionRefusedError("the mail server is down")
        return super().send_messages(messages)
