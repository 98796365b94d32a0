"""Admin form tests the pretix way: GET the page, take its form, change a few values, POST."""

import datetime
from decimal import Decimal


def _field_values(form) -> dict:
    data = {}
    for name in form.fields:
        bound = form[name]
        value = bound.value()
        if isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, (list, tuple)):
            data[bound.html_name] = [str(v) for v in value]
        elif value is None:
            data[bound.html_name] = ""
        elif isinstance(value, (datetime.date, Decimal, int)):
            data[bound.html_name] = str(value)
        else:
            data[bound.html_name] = value
    return data


def page_data(response) -> dict:
    """What the admin change/add page would POST if the user changed nothing."""
    data = _field_values(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_field_values(formset.management_form))
        for form in formset.forms:
            data.update(_field_values(form))
    return data


def add_inline_row(data: dict, prefix: str, values: dict) -> dict:
    """Append one new row to an inline formset in `data`."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    for name, value in values.items():
        data[f"{prefix}-{index}-{name}"] = value
    return data
