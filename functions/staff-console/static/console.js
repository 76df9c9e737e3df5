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

// An announcement's file of contracts, read into the box the form sends. Without JavaScript the
// contracts are pasted.
(function () {
  "use strict";
  var file = document.getElementById("contracts-file");
  var box = document.getElementById("contracts");
  if (!file || !box) { return; }
  file.addEventListener("change", function () {
    if (!file.files.length) { return; }
    file.files[0].text().then(function (text) { box.value = text; });
  });
})();
