"""Reading a rendered HTML form the way a browser submits it (lxml, a runtime dependency)."""

from __future__ import annotations

from dataclasses import dataclass

import lxml.html

# Inputs a person types text into (what the bad-input tests fill).
TEXT_INPUTS = ("text", "email", "search", "url", "tel", "password")


def submitted(html: str, form_id: str, button: str | None = None) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser sends for the form `form_id` as the page shows it:
    ticked checkboxes, selected options, text as rendered; controls that belong to another
    form (`form="…"`) are left out; `button` is the name of the submit button pressed."""
    doc = lxml.html.fromstring(html)
    form = doc.get_element_by_id(form_id)
    pairs = _values(form)
    if button:
        pairs.append((button, form.xpath(f'.//button[@name="{button}"]')[0].get("value", "")))
    return pairs


def _values(form) -> list[tuple[str, str]]:
    """What a browser sends for `form`, without a button."""
    return [(name, value) for name, value in form.form_values() if not _other_form(form, name)]


def _other_form(form, name: str) -> bool:
    """Every control called `name` belongs to another form (`form="…"`)."""
    form_id = form.get("id")
    elements = form.xpath(f'.//*[@name="{name}"]')
    return bool(elements) and all(e.get("form") not in (None, form_id) for e in elements)


@dataclass(frozen=True)
class Form:
    """A POST form as the page renders it."""

    action: str
    fields: list[tuple[str, str]]  # what a browser sends, without a button
    texts: list[str]  # the fields a person types text into (text inputs, textareas)
    submit: tuple[str, str] | None  # the default button (the first: what Enter presses), if named

    def data(self, **values: str) -> list[tuple[str, str]]:
        """The fields with `values` in place of theirs, and the default button."""
        pairs = [(name, values.get(name, value)) for name, value in self.fields]
        return pairs + ([self.submit] if self.submit else [])


def post_forms(html: str) -> list[Form]:
    """Every POST form of the page."""
    found = []
    for form in lxml.html.fromstring(html).forms:
        if (form.get("method") or "get").lower() != "post":
            continue
        buttons = form.xpath('.//button[not(@type) or @type="submit"]|.//input[@type="submit"]')
        default = buttons[0] if buttons else None
        texts = [
            e.get("name")
            for e in form.xpath(".//input|.//textarea")
            if e.get("name")
            and (e.tag == "textarea" or (e.get("type") or "text").lower() in TEXT_INPUTS)
        ]
        found.append(
            Form(
                action=form.get("action") or "",
                fields=_values(form),
                texts=texts,
                submit=(default.get("name"), default.get("value", ""))
                if default is not None and default.get("name")
                else None,
            )
        )
    return found


def field_names(html: str, form_id: str) -> set[str]:
    """The names of every field the form shows (filled in or not)."""
    form = lxml.html.fromstring(html).get_element_by_id(form_id)
    return {
        e.get("name")
        for e in form.xpath(".//input|.//select|.//textarea")
        if e.get("name") and e.get("type") not in ("submit",) and e.get("form") in (None, form_id)
    }


def post_form(html: str, action: str) -> Form:
    """The page's POST form that posts to `action` (its query string aside)."""
    return next(f for f in post_forms(html) if f.action.split("?")[0] == action)
