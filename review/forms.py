"""Forms of the review pages: a decision, a reopen, an edit's reason."""

from __future__ import annotations

from django import forms

from review.models import DecisionKind

DECISIONS = [
    (DecisionKind.APPROVE, "Approve"),
    (DecisionKind.SEND_BACK, "Send back for changes"),
    (DecisionKind.REJECT, "Reject"),
]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=DECISIONS)
    version = forms.IntegerField(min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput)
    slot = forms.IntegerField(required=False, min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput)
    comment = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    signature = forms.CharField(required=False, max_length=3_000_000, widget=forms.HiddenInput)


class ReopenForm(forms.Form):
    comment = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 2}), label="Why reopen it")


class EditForm(forms.Form):
    version = forms.IntegerField(min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput)
    reason = forms.CharField(max_length=1000, required=False, label="What you changed and why")
