// osokit simulator pages: small conveniences on top of server-rendered HTML (no libraries, no network
// beyond this simulator). Filters submit on change; admin and run forms post JSON to the APIs; a run's
// page follows it while it goes.
(function () {
  "use strict";

  // Filter forms: a changed select or checkbox applies at once (the Filter button does the same).
  document.querySelectorAll("[data-autosubmit]").forEach(function (field) {
    field.addEventListener("change", function () { field.form.requestSubmit(); });
  });

  // A form's fields as the JSON object the API takes: names with dots nest (endpoints.0.url), numeric
  // parts make lists; data-type says int, float, bool or list (checkboxes of one name); empty is left out.
  function formJson(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.disabled) return;
      var type = field.dataset.type, value;
      if (type === "list") {
        value = Array.prototype.filter.call(form.elements, function (f) { return f.name === field.name && f.checked; })
          .map(function (f) { return f.value; });
      } else if (type === "bool") {
        value = field.type === "checkbox" ? field.checked : field.value === "true";
      } else if (field.type === "radio" || field.type === "checkbox") {
        if (!field.checked) return;
        value = field.value;
      } else {
        if (field.value === "") return;
        value = type === "int" ? parseInt(field.value, 10) : type === "float" ? parseFloat(field.value) : field.value;
      }
      var path = field.name.split("."), at = out;
      path.slice(0, -1).forEach(function (part, i) {
        if (at[part] === undefined) at[part] = /^\d+$/.test(path[i + 1]) ? [] : {};
        at = at[part];
      });
      at[path[path.length - 1]] = value;
    });
    return out;
  }

  var FLASH = "osokit-flash";
  function say(output, text, ok) {
    if (!output) return;
    output.textContent = text;
    output.className = ok ? "ok" : "error";
  }
  var flash = sessionStorage.getItem(FLASH);
  if (flash) {
    sessionStorage.removeItem(FLASH);
    var note = JSON.parse(flash), form = document.querySelectorAll("form[data-api]")[note.form];
    say(form && form.querySelector("output"), note.text, true);
  }

  document.querySelectorAll("form[data-api]").forEach(function (form, index) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var api = form.dataset.api, body = JSON.stringify(formJson(form)), output = form.querySelector("output");
      say(output, "POST " + api + " " + body + " …", true);
      fetch(api, { method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" }, body: body })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (answer) {
          if (!answer.ok) { say(output, "refused: " + (answer.data.error || JSON.stringify(answer.data)), false); return; }
          if (form.dataset.then === "open") { window.location.href = answer.data.url; return; }
          sessionStorage.setItem(FLASH, JSON.stringify({ form: index, text: "applied: POST " + api + " " + body }));
          window.location.reload();
        })
        .catch(function (error) { say(output, "could not reach the simulator: " + error, false); });
    });
  });

  // The fault-profile form: choosing a shipped profile puts its TOML in the text area.
  var profiles = document.getElementById("profiles"), choice = document.getElementById("profile-choice");
  if (profiles && choice) {
    var texts = JSON.parse(profiles.textContent);
    choice.addEventListener("change", function () {
      choice.form.elements.toml.value = texts[choice.value] || "";
    });
  }

  // A search box that hides the rows of a table that do not contain its text.
  document.querySelectorAll("[data-filter-rows]").forEach(function (box) {
    var rows = document.querySelectorAll(box.dataset.filterRows + " tbody tr");
    box.addEventListener("input", function () {
      var q = box.value.trim().toLowerCase();
      rows.forEach(function (row) { row.hidden = q !== "" && row.textContent.toLowerCase().indexOf(q) < 0; });
    });
  });

  // A run's page: follow its status until it has ended.
  var run = document.getElementById("run");
  if (run && run.dataset.state === "running") {
    var timer = setInterval(function () {
      fetch(run.dataset.status, { headers: { "Accept": "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (s) {
          var p = s.progress;
          document.getElementById("state").textContent = s.state;
          document.getElementById("elapsed").textContent = s.elapsed;
          document.getElementById("note").textContent = s.note;
          var bar = document.getElementById("progress");
          bar.max = p.total || 1; bar.value = p.done;
          document.getElementById("counts").textContent =
            p.done + " of " + (p.total || "?") + " checks done, " + p.failed + " failed";
          var console = document.getElementById("console");
          console.textContent = s.console;
          console.scrollTop = console.scrollHeight;
          if (s.state === "running") return;
          clearInterval(timer);
          run.dataset.state = s.state;
          var going = document.getElementById("run-going");
          if (going) going.hidden = true;
          var verdict = document.getElementById("verdict");
          verdict.textContent = s.verdict || s.state;
          verdict.className = "badge big verdict-" + (s.verdict || "error").toLowerCase();
          verdict.hidden = false;
          var reports = document.getElementById("reports");
          reports.textContent = "";
          s.reports.forEach(function (name) {
            var link = document.createElement("a");
            link.href = "/runs/" + encodeURIComponent(s.id) + "/report/" + encodeURIComponent(name);
            link.textContent = name;
            reports.appendChild(link);
            reports.appendChild(document.createTextNode(" "));
          });
        })
        .catch(function () { /* the next tick tries again */ });
    }, 1000);
  }
})();
