// Keeps the inbox's list, its counts and the page title current without a reload. Without
// JavaScript the inbox is the same, refreshed by reloading it.
(function () {
  "use strict";
  var rows = document.querySelector("[data-live]");
  if (!rows) { return; }
  var title = document.title.replace(/^\(\d+\) /, "");
  function refresh() {
    fetch(rows.getAttribute("data-live"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (live) {
        if (!live) { return; }
        rows.innerHTML = live.rows; // rendered and escaped by the console
        document.querySelectorAll("[data-count]").forEach(function (count) {
          count.textContent = live.counts[count.getAttribute("data-count")];
        });
        document.title = (live.counts.waiting > 0 ? "(" + live.counts.waiting + ") " : "") + title;
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }
  window.setInterval(refresh, 3000);
})();
