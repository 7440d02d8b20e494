// Drag and drop on the backlog's rows: a drop fills and submits the same POST form as the
// "Flyt op"/"Flyt ned" buttons (which work without this script, and by keyboard).
(function () {
  "use strict";
  var table = document.getElementById("backlog");
  var form = document.getElementById("backlog-drop");
  if (!table || !form) { return; }
  var dragged = null;
  table.querySelectorAll("tr[draggable=true]").forEach(function (row) {
    row.addEventListener("dragstart", function (event) {
      dragged = row;
      row.classList.add("app-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", row.dataset.processId);
    });
    row.addEventListener("dragend", function () {
      row.classList.remove("app-dragging");
      dragged = null;
    });
    row.addEventListener("dragover", function (event) {
      if (dragged && dragged !== row) { event.preventDefault(); }
    });
    row.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!dragged || dragged === row) { return; }
      var rows = Array.prototype.slice.call(table.querySelectorAll("tr[data-backlog-row]"));
      var downwards = rows.indexOf(dragged) < rows.indexOf(row);
      form.action = form.dataset.actionTemplate.replace(
        "00000000-0000-0000-0000-000000000000", dragged.dataset.processId);
      form.elements.before.value = downwards ? "" : row.dataset.processId;
      form.elements.after.value = downwards ? row.dataset.processId : "";
      form.submit();
    });
  });
})();
