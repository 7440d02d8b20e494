"""Reading a rendered HTML form the way a browser submits it (lxml, a runtime dependency)."""

from __future__ import annotations

import lxml.html


def submitted(html: str, form_id: str, button: str | None = None) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser sends for the form `form_id` as the page shows it:
    ticked checkboxes, selected options, text as rendered; controls that belong to another
    form (`form="…"`) are left out; `button` is the name of the submit button pressed."""
    doc = lxml.html.fromstring(html)
    form = doc.get_element_by_id(form_id)
    pairs = [
        (name, value) for name, value in form.form_values() if not _other_form(form, name, form_id)
    ]
    if button:
        pairs.append((button, form.xpath(f'.//button[@name="{button}"]')[0].get("value", "")))
    return pairs


def _other_form(form, name: str, form_id: str) -> bool:
    elements = form.xpath(f'.//*[@name="{name}"]')
    return bool(elements) and all(e.get("form") not in (None, form_id) for e in elements)


def field_names(html: str, form_id: str) -> set[str]:
    """The names of every field the form shows (filled in or not)."""
    form = lxml.html.fromstring(html).get_element_by_id(form_id)
    return {
        e.get("name")
        for e in form.xpath(".//input|.//select|.//textarea")
        if e.get("name") and e.get("type") not in ("submit",) and e.get("form") in (None, form_id)
    }
