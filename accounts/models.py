"""The ``users`` table of the plan, as Django's user model (email is the login)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class Role(models.TextChoices):
    USER = "user", "User"
    INSPECTOR = "inspector", "Inspector"
    SUPERVISOR = "supervisor", "Supervisor"
    ADMIN = "admin", "Admin"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("Users must have an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", Role.ADMIN)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # Emails are stored lower-cased, so this uses the unique index.
        return self.get(email=(username or "").strip().lower())


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. ``role`` is the business role; ``is_staff`` opens the admin."""

    email = models.EmailField(max_length=255, unique=True)
    password = models.CharField("password", max_length=255, db_column="password_hash")
    full_name = models.CharField(max_length=200, blank=True, default="", db_default="")
    role = models.CharField(max_length=50, choices=Role.choices, default=Role.USER, db_default=Role.USER)
    is_active = models.BooleanField(default=True, db_default=True)
    is_staff = models.BooleanField(default=False, db_default=False)
    is_superuser = models.BooleanField(
        "superuser status",
        default=False,
        db_default=False,
        help_text="Has all permissions without explicitly assigning them.",
    )
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    last_login = models.DateTimeField("last login", blank=True, null=True)

    objects: ClassVar[UserManager] = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        db_table = "users"
        ordering = ("email",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[choice.value for choice in Role]),
                name="users_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def sees_all_submissions(self) -> bool:
        """Supervisors, admins and staff see every submission; others only their own."""
        return self.is_staff or self.role in (Role.SUPERVISOR, Role.ADMIN)


class ThrottleCounter(models.Model):
    """Attempts one key made in its current window: a login's e-mail or address, a reset's.

    ``accounts.throttle`` counts an attempt here (row-locked, committed) *before* the attempt is
    made, so requests arriving together cannot all read a count that none has raised yet.
    """

    key = models.CharField(max_length=300, unique=True)  # "<action>:<email|ip>:<value>"
    count = models.PositiveIntegerField(default=0)
    window_ends_at = models.DateTimeField()

    class Meta:
        db_table = "throttle_counters"
        indexes = [models.Index(fields=["window_ends_at"], name="idx_throttle_window_ends_at")]

    def __str__(self) -> str:
        return f"{self.key}: {self.count} until {self.window_ends_at:%Y-%m-%d %H:%M:%S}"


class UserSession(AbstractBaseSession):
    """A login session: Django's session row plus its user's id as a column.

    The column lets one query load the session and its user (``accounts.sessions``), where
    Django's own table needs a second query for the user on every authenticated request. The
    session data (signed, with the user's id and auth hash) stays the truth; ``user`` is the
    same id, kept in step whenever the session is saved. Deleting a user deletes their sessions.
    """

    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta(AbstractBaseSession.Meta):
        db_table = "user_sessions"
        indexes = [models.Index(fields=["user"], name="idx_user_sessions_user_id")]

    @classmethod
    def get_session_store_class(cls) -> type[SessionBase]:
        from accounts.sessions import SessionStore

        return SessionStore
