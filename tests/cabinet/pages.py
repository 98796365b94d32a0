"""Reading the cabinet's pages in tests: the document form as a browser submits it,
the page's text, a field's messages."""

from html import unescape
from html.parser import HTMLParser


class _FormParser(HTMLParser):
    """The fields of the page's document form, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.in_form = False
        self.done = False
        self.select = None
        self.option_value = None
        self.data = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "data-subscription-form" in attrs and not self.done:
            self.in_form = True
        if not self.in_form:
            return
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "button"):
            self.data[attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self.select = attrs["name"]
            self.data.setdefault(self.select, "")
        elif tag == "option" and self.select and "selected" in attrs:
            self.data[self.select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "form" and self.in_form:
            self.in_form = False
            self.done = True


def page_form(response) -> dict:
    parser = _FormParser()
    parser.feed(response.content.decode())
    assert parser.done, "the page has no document form"
    return parser.data


def text_of(response) -> str:
    return unescape(response.content.decode())


def field_errors(response, name) -> list[str]:
    return list(response.context["form"].errors.get(name, []))
