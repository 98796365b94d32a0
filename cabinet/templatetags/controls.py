"""A form control described by the messages next to it, for screen readers.

Django points a control with errors at `<id>_error` (aria-describedby), the id
of the error list it renders itself. The cabinet's templates show a field's
errors in their own element, `<id>_errors` (includes/form_field.html,
subscriptions/includes/field_errors.html, the filter bars), so Django's
reference would lead nowhere and the error would not be read with the field.

    {% load controls %}
    {{ field|described }}         the help text, and the errors when there are any
    {{ field|described:"live" }}  the errors' element always: it is on the page even
                                  when empty, and the form's script fills it as the
                                  operator types (subscriptions/includes/field_errors.html)
"""

from django import template
from django.utils.html import format_html

register = template.Library()


def described_by(field, live: bool = False) -> str:
    """The ids that describe `field`'s control: its help text, its errors."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}_helptext")
    if field.errors or live:
        ids.append(f"{field.auto_id}_errors")
    return " ".join(ids)


@register.filter
def described(field, mode: str = ""):
    """The field's control, as `{{ field }}` renders it, with aria-describedby
    pointing at the cabinet's help and error elements (see the module's text)."""
    widget = field.field.widget
    if not field.auto_id or field.is_hidden or getattr(widget, "use_fieldset", False):
        # Hidden: nothing to describe; a group of choices: its <fieldset> is described.
        return field
    if widget.attrs.get("aria-describedby"):
        return field  # the form set its own description
    ids = described_by(field, live=mode == "live")
    if not ids:
        return field
    html = field.as_widget(attrs={"aria-describedby": ids})
    if field.field.show_hidden_initial:
        return format_html("{}{}", html, field.as_hidden(only_initial=True))
    return html
