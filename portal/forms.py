"""Forms of the portal pages. The search box itself is parsed by search.query (its errors are
the parser's messages); this form only checks the page controls around it."""

from django import forms

SORT_CHOICES = [
    ("", "Best match"),
    ("-date", "Newest first"),
    ("date", "Oldest first"),
    ("name", "Name A–Z"),
    ("-name", "Name Z–A"),
    ("-size", "Largest first"),
    ("size", "Smallest first"),
]
SIZE_CHOICES = [("10", "10"), ("25", "25"), ("50", "50"), ("100", "100")]


class SearchInput(forms.TextInput):
    input_type = "search"


class SearchForm(forms.Form):
    q = forms.CharField(required=False, label="Search datasets", strip=False, widget=SearchInput)
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False, label="Sort")
    size = forms.ChoiceField(choices=SIZE_CHOICES, required=False, label="Per page")
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            {"placeholder": "e.g. tomography wavelength<1.5 Å sort:-date"}
        )


class LicenceForm(forms.Form):
    accept = forms.BooleanField(
        required=True,
        label="I accept the licence and the conditions of use",
        error_messages={"required": "Tick the box to accept the licence before downloading."},
    )
    next = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)
