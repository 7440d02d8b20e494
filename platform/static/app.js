// Start DKFDS's components once the page is parsed (no inline scripts: see the CSP).
document.addEventListener("DOMContentLoaded", function () {
  if (window.DKFDS && typeof window.DKFDS.init === "function") {
    window.DKFDS.init();
  }
});

// Pickers (the KLE field of the process form, processes/_field.html): the search field
// beside a code field becomes an ARIA 1.2 combobox. htmx fetches its options into
// [data-picker-results]; arrow keys move through them, Enter or a click chooses one, which
// fills the code field, and htmx (its trigger "picked") then shows the chosen title in a
// live region. Without JavaScript the search opens a look-up page instead, and so it does
// when htmx did not load (blocked, or a failed download): then nothing is enhanced, as the
// search could fetch no options.
(function () {
  "use strict";

  function partsOf(element) {
    var root = element && element.closest ? element.closest("[data-picker]") : null;
    if (!root) {
      return null;
    }
    return {
      root: root,
      value: root.querySelector("[data-picker-value]"),
      search: root.querySelector("[data-picker-search]"),
      results: root.querySelector("[data-picker-results]"),
      announce: root.querySelector("[data-picker-announce]")
    };
  }

  function optionsOf(p) {
    return Array.prototype.slice.call(p.results.querySelectorAll('[role="option"]'));
  }

  function activeIndex(p) {
    return optionsOf(p).findIndex(function (o) {
      return o.getAttribute("aria-selected") === "true";
    });
  }

  function setActive(p, index) {
    var options = optionsOf(p);
    options.forEach(function (o, i) {
      o.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (index >= 0 && options[index]) {
      p.search.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      p.search.removeAttribute("aria-activedescendant");
    }
  }

  // Open shows whatever the last search returned (options, or "no match");
  // aria-expanded says whether a listbox of options is showing.
  function setOpen(p, open) {
    var hasOptions = optionsOf(p).length > 0;
    var hasContent = p.results.textContent.trim() !== "";
    p.results.hidden = !(open && hasContent);
    p.search.setAttribute("aria-expanded", open && hasOptions ? "true" : "false");
    if (!(open && hasOptions)) {
      setActive(p, -1);
    }
  }

  function isOpen(p) {
    return p.search.getAttribute("aria-expanded") === "true";
  }

  function choose(p, option) {
    p.value.value = option.getAttribute("data-value");
    setOpen(p, false);
    p.announce.textContent = "";
    if (window.htmx) {
      window.htmx.trigger(p.value, "picked");
    }
  }

  function searchNow(p) {
    if (window.htmx) {
      window.htmx.trigger(p.search, "search-now");
    }
  }

  // The search's own form, outside the page's form ([data-picker-form], the KLE field's).
  function hasSearchForm(p) {
    return !!(p.search.form && p.search.form.hasAttribute("data-picker-form"));
  }

  function onKeydown(event) {
    var p = partsOf(event.target);
    var count = optionsOf(p).length;
    var index = activeIndex(p);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!count) {
        return;
      }
      event.preventDefault();
      var down = event.key === "ArrowDown";
      if (!isOpen(p)) {
        setOpen(p, true);
        setActive(p, down ? 0 : count - 1);
      } else if (index < 0) {
        setActive(p, down ? 0 : count - 1);
      } else {
        setActive(p, Math.max(0, Math.min(count - 1, index + (down ? 1 : -1))));
      }
    } else if (event.key === "Enter") {
      if (isOpen(p) && index >= 0) {
        event.preventDefault();
        choose(p, optionsOf(p)[index]);
      } else if (hasSearchForm(p)) {
        // Never submit the search form (a new window) once JavaScript runs.
        event.preventDefault();
        searchNow(p);
      }
      // A search that is a field of the page's own form (a picker in one field): Enter
      // submits that form, as in any other field, unless it chose an option.
    } else if (event.key === "Escape") {
      if (!p.results.hidden) {
        event.preventDefault();
        setOpen(p, false);
      }
    }
  }

  function enhance(root) {
    var p = partsOf(root);
    if (!window.htmx || !p || !p.value || !p.search || !p.results || !p.announce) {
      return;
    }
    p.search.setAttribute("role", "combobox");
    p.search.setAttribute("aria-autocomplete", "list");
    p.search.setAttribute("aria-controls", p.search.getAttribute("data-picker-listbox"));
    setOpen(p, false);
    root.querySelectorAll(".app-picker-js-only").forEach(function (e) {
      e.hidden = false;
    });
    root.querySelectorAll(".app-picker-nojs-only").forEach(function (e) {
      e.remove();
    });
    var form = p.search.form; // the search's own form (form="…"), outside the process form
    if (hasSearchForm(p)) {
      form.removeAttribute("target");
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        p.search.focus();
        searchNow(p);
      });
    }
    p.search.addEventListener("keydown", onKeydown);
    p.search.addEventListener("blur", function () {
      setOpen(p, false);
    });
    // Keep the focus in the search field while an option is clicked.
    p.results.addEventListener("mousedown", function (event) {
      if (event.target.closest('[role="option"]')) {
        event.preventDefault();
      }
    });
    p.results.addEventListener("click", function (event) {
      var option = event.target.closest('[role="option"]');
      if (option) {
        choose(p, option);
        p.search.focus();
      }
    });
  }

  // Pickers on the page, and those htmx brings in later (the process form's field groups
  // when another phase is chosen); each is enhanced once.
  function enhanceWithin(container) {
    container.querySelectorAll("[data-picker]").forEach(function (root) {
      if (!root.hasAttribute("data-picker-ready")) {
        root.setAttribute("data-picker-ready", "");
        enhance(root);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhanceWithin(document);
  });
  document.addEventListener("htmx:load", function (event) {
    if (event.detail && event.detail.elt && event.detail.elt.querySelectorAll) {
      enhanceWithin(event.detail.elt);
    }
  });

  // New options from htmx: give them ids, announce how many, and show them.
  document.addEventListener("htmx:afterSwap", function (event) {
    var p = partsOf(event.detail.target);
    if (!p || event.detail.target !== p.results) {
      return;
    }
    var listbox = p.results.querySelector('[role="listbox"]');
    if (listbox) {
      listbox.id = p.search.getAttribute("data-picker-listbox");
      optionsOf(p).forEach(function (o, i) {
        o.id = listbox.id + "-" + i;
      });
    }
    var status = p.results.querySelector("[data-picker-status]");
    p.announce.textContent = status ? status.getAttribute("data-picker-status") : "";
    setOpen(p, document.activeElement === p.search);
  });
})();

// Pickers in one field (processes/_field.html, person_field: the intake form's "Faglig
// kontaktperson"): the field is both the value and the search (data-picker-value and
// data-picker-search on the same input), so the picker above makes it the combobox. Three
// additions: the search sends the field's text as the parameter the search expects
// (data-picker-query) rather than under the field's own name; a chosen option shows its
// data-picker-chosen-text ("Valgt: <name>") in the picker's [data-picker-chosen] live
// region; and typing in the field again clears what was shown as chosen. Pickers without
// a [data-picker-chosen] region (the KLE field) are left as they are.
(function () {
  "use strict";

  function chosenRegion(element) {
    var root = element && element.closest ? element.closest("[data-picker]") : null;
    return root ? root.querySelector("[data-picker-chosen]") : null;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var field = event.detail.elt;
    var name = field && field.getAttribute ? field.getAttribute("data-picker-query") : null;
    if (name) {
      event.detail.parameters[name] = field.value;
    }
  });

  document.addEventListener("picked", function (event) {
    var field = event.target;
    var region = chosenRegion(field);
    if (!region || !field.hasAttribute("data-picker-value")) {
      return;
    }
    var root = field.closest("[data-picker]");
    var option = Array.prototype.slice
      .call(root.querySelectorAll('[data-picker-results] [role="option"]'))
      .find(function (o) {
        return o.getAttribute("data-value") === field.value;
      });
    region.textContent = option ? option.getAttribute("data-picker-chosen-text") || "" : "";
  });

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-picker-value")) {
      var region = chosenRegion(field);
      if (region) {
        region.textContent = "";
      }
    }
  });
})();

// Forms with errors: the summary above the form takes the focus when the page opens, so a
// screen reader reads it first and the links to the fields are one Tab away.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
});

// What only a page without htmx needs ([data-nojs-only]: the process form's "Vis felterne
// for den valgte fase", as htmx redraws the fields when the phase changes) is removed.
(function () {
  "use strict";
  function tidy(container) {
    if (!window.htmx || !container.querySelectorAll) {
      return;
    }
    container.querySelectorAll("[data-nojs-only]").forEach(function (e) {
      e.remove();
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    tidy(document);
  });
  document.addEventListener("htmx:load", function (event) {
    if (event.detail && event.detail.elt) {
      tidy(event.detail.elt);
    }
  });
})();

// The register's filter panel (processes/list.html) folds on a phone, where the results
// come first, unless a filter is in use; on a wide screen it stays open beside them.
document.addEventListener("DOMContentLoaded", function () {
  var panel = document.querySelector("[data-filter-panel]");
  if (panel && !panel.hasAttribute("data-filters-active") &&
      window.matchMedia("(max-width: 991.98px)").matches) {
    panel.open = false;
  }
});
