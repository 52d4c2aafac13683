/* The booking form without a round trip: when the space, date, length, places or layout
   change, fetch the free times for them and put the list in place. The page works the
   same without this script ("Show free times" posts the form). */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    // A link to a field scrolls the field's label, hint and message into view with it (the
    // browser alone would put the control at the very top and hide what it is about).
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var control = link && document.getElementById(link.hash.slice(1));
      if (!control) return;
      event.preventDefault();
      (control.closest(".field") || control).scrollIntoView();
      control.focus({ preventScroll: true });
    });
  }

  var form = document.querySelector("form[data-slots-url]");
  if (!form || !window.fetch) return;
  var CHOICES = ["space", "day", "minutes", "places", "layout"];
  var status = document.getElementById("slots-status");
  var latest = 0;

  // The list a new day brings is put in view (on a phone it starts below the screen);
  // the date stays in sight above it.
  function bringIntoView(list) {
    var top = list.getBoundingClientRect().top;
    if (top > window.innerHeight * 0.7) {
      window.scrollBy({ top: top - window.innerHeight * 0.35, behavior: "smooth" });
    }
  }

  function refresh(newDay) {
    var data = new FormData(form);
    var query = new URLSearchParams();
    CHOICES.concat(["slot"]).forEach(function (name) {
      var value = data.get(name);
      if (value !== null) query.set(name, value);
    });
    var asked = ++latest;
    // Said to screen readers and shown (dimmed) until the fresh list is in place.
    var listed = document.getElementById("slots");
    if (listed) listed.setAttribute("aria-busy", "true");
    fetch(form.dataset.slotsUrl + "?" + query.toString(), {
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        if (asked !== latest) return; // a newer choice is on its way
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#slots");
        var current = document.getElementById("slots");
        if (!current) return;
        if (!fresh) {
          current.removeAttribute("aria-busy");
          return;
        }
        var chosen = form.querySelector("input[name=slot]:checked");
        current.replaceWith(fresh);
        if (chosen) {
          // The same time is kept when it is still free (the customer may have picked it
          // while this answer was on its way).
          var same = fresh.querySelector('input[name=slot][value="' + chosen.value + '"]');
          if (same) same.checked = true;
        }
        // The list says it in words, in the page's language ("3 free times on …").
        if (status) status.textContent = fresh.dataset.status || "";
        if (newDay) bringIntoView(fresh);
      })
      .catch(function () {
        // Keep the list as it is: "Show free times" still works.
        var current = document.getElementById("slots");
        if (current && asked === latest) current.removeAttribute("aria-busy");
      });
  }

  // "Show <next day with free times>": move the date there and refresh in place.
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[name=next_day]");
    if (!button) return;
    event.preventDefault();
    var day = form.querySelector("[name=day]");
    day.value = button.value;
    refresh(true);
    day.focus();
  });

  form.addEventListener("change", function (event) {
    if (CHOICES.indexOf(event.target.name) !== -1) refresh(event.target.name === "day");
  });
})();
