"""Form fields shared by the three inspector forms.

Values end up in ``form_data`` as the strings the inspector typed (the old app's documents keep
form values as strings), so the number fields check the text and return it stripped.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from submissions.ids import validate_client_key
from submissions.uploads import PreparedImage, UploadRejectedError, data_url_decode, image_prepare

# The latest calendar date anywhere on earth (UTC+14): an inspector's "today" is never refused.
LATEST_UTC_OFFSET = dt.timedelta(hours=14)


def latest_today() -> dt.date:
    return (timezone.now() + LATEST_UTC_OFFSET).date()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class IsoDateField(forms.DateField):
    """A ``YYYY-MM-DD`` date (the HTML date input's format), returned as that string."""

    widget = DateInput
    default_error_messages = {"invalid": "Enter the date as YYYY-MM-DD."}

    def __init__(self, *, allow_future: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)
        self.allow_future = allow_future

    def clean(self, value: Any) -> Any:
        date = super().clean(value)
        if date is None:
            return ""
        if not self.allow_future and date > latest_today():
            raise ValidationError("The visit date cannot be in the future.", code="future")
        return date.isoformat()


class TextField(forms.CharField):
    """Free text, stripped; empty is ``""``."""

    def __init__(self, *, max_length: int = 200, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(max_length=max_length, **kwargs)


class NumberField(forms.CharField):
    """A non-negative number typed as text (``"12"``, ``"120.50"``); kept as typed."""

    def __init__(self, *, integer: bool = False, decimal_places: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20)
        attrs = {"inputmode": "numeric" if integer else "decimal"}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)
        self.integer = integer
        self.decimal_places = decimal_places

    def clean(self, value: Any) -> str:
        text = str(super().clean(value) or "").strip()
        if not text:
            return ""
        try:
            number = decimal.Decimal(text)
        except decimal.InvalidOperation as error:
            raise ValidationError("Enter a number.", code="number") from error
        if not number.is_finite():
            raise ValidationError("Enter a number.", code="number")
        if number < 0:
            raise ValidationError("Enter a number that is zero or more.", code="negative")
        if self.integer and number != number.to_integral_value():
            raise ValidationError("Enter a whole number.", code="integer")
        exponent = number.as_tuple().exponent
        if self.decimal_places is not None and isinstance(exponent, int) and -exponent > self.decimal_places:
            raise ValidationError(f"Use at most {self.decimal_places} decimal places.", code="decimal_places")
        return text


class ClientKeyField(forms.CharField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_length=64,
            validators=[validate_client_key],
            error_messages={"required": "The form's key is missing; reload the page and submit again."},
            **kwargs,
        )


@dataclass(frozen=True)
class SignatureInput:
    """A drawn signature: the PNG the pad produced, validated and normalised."""

    image: PreparedImage
    digest: str


class SignatureField(forms.CharField):
    """A signature pad's ``data:image/png;base64,...`` value; ``None`` when not drawn."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(strip=True, **kwargs)

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return None
        try:
            image = image_prepare(data_url_decode(text))
        except UploadRejectedError as error:
            raise ValidationError(f"The signature could not be read: {error} Clear it and sign again.") from error
        return SignatureInput(image=image, digest=hashlib.sha256(text.encode()).hexdigest())


class PhotoIdsField(forms.CharField):
    """The ids of photos already uploaded for this item, comma-separated (a hidden input)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]
        text = str(super().to_python(value) or "")
        ids: list[int] = []
        for part in text.replace(" ", "").split(","):
            if not part:
                continue
            if not part.isdigit():
                raise ValidationError("The photo list is damaged; remove the photos and add them again.")
            if int(part) not in ids:
                ids.append(int(part))
        limit = settings.INJAAZ_PHOTOS_PER_ITEM
        if len(ids) > limit:
            raise ValidationError(f"At most {limit} photos per item ({len(ids)} were added).", code="too_many")
        return ids

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return bool(self.to_python(data))
        except ValidationError:
            return True
