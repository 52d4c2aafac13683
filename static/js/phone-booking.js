/* The phone booking without round trips: when the space, date or places change, fetch what
   is free that day; when the times, places, tickets or extras change, fetch the price
   estimate; a customer search fills in the choices without leaving the page. Each part
   comes from the server as the same HTML the page is built with, and is put in place.
   The page works the same without this script (its buttons post or get the page). */
(function () {
  "use strict";
  var form = document.querySelector("form[data-windows-url]");
  if (!form || !window.fetch) return;

  // The parts of the form the free times and the estimate are worked out from (never the
  // customer's name or e-mail: those stay out of addresses and logs).
  var FEEDBACK = /^(venue|space|day|start|end|places|layout|ticket|ticket_quantity|product|units)(_\d+)?$/;
  var WINDOWS = /^(space|day|places)$/;

  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (FEEDBACK.test(name)) params.append(name, value);
    });
    return params.toString();
  }

  // Fetch `url`, put the element with `id` from the answer in place of the page's, and say
  // what changed in the status line. Only the latest answer for each part is used.
  var latest = {};
  function refresh(url, id, statusId) {
    var asked = (latest[id] = (latest[id] || 0) + 1);
    var current = document.getElementById(id);
    if (current) current.setAttribute("aria-busy", "true");
    fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        if (asked !== latest[id]) return; // a newer change is on its way
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#" + id);
        current = document.getElementById(id);
        if (!fresh || !current) return;
        current.replaceWith(fresh);
        var status = document.getElementById(statusId);
        if (status) status.textContent = fresh.dataset.status || "";
      })
      .catch(function () {
        // Keep what is shown: the page's own buttons still work.
        current = document.getElementById(id);
        if (current && asked === latest[id]) current.removeAttribute("aria-busy");
      });
  }

  // The customer search answers in place: the booking form keeps what is typed in it.
  var search = document.querySelector("form[data-customers-url]");
  if (search) {
    search.addEventListener("submit", function (event) {
      event.preventDefault();
      var params = new URLSearchParams();
      params.set("venue", search.querySelector("[name=venue]").value);
      params.set("q", search.querySelector("[name=q]").value);
      var found = document.getElementById("phone-found");
      var choices = document.getElementById("phone-customer-choices");
      fetch(search.dataset.customersUrl + "?" + params.toString(), {
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.text();
        })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var freshChoices = holder.querySelector("#phone-customer-choices");
          var freshFound = holder.querySelector("#phone-found");
          if (!freshChoices || !freshFound) throw new Error("no answer");
          choices.replaceWith(freshChoices);
          // The same status element stays, so screen readers hear its new words.
          found.textContent = freshFound.textContent;
        })
        .catch(function () {
          search.submit(); // the page's own search, as without this script
        });
    });
  }

  form.addEventListener("change", function (event) {
    var name = event.target.name || "";
    if (!FEEDBACK.test(name)) return;
    var asked = query();
    if (WINDOWS.test(name)) {
      refresh(form.dataset.windowsUrl + "?" + asked, "phone-windows", "phone-windows-status");
    }
    refresh(form.dataset.estimateUrl + "?" + asked, "phone-estimate", "phone-estimate-status");
  });
})();
