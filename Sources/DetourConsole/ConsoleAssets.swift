/// The console's style sheet and script, served from its own routes so the page needs no inline code.
enum ConsoleAssets {
    /// Phone first: one column, large targets; two columns on wide screens.
    static let style = """
        *{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;color:#1d2125;background:#f4f5f7}
        header{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;padding:.75rem 1rem;background:#1d2125;color:#fff}
        header a{color:#cde;margin-right:.75rem}header form{margin-left:auto}.who{opacity:.8}
        main{padding:1rem;max-width:72rem;margin:auto;display:grid;gap:.75rem}
        h2{margin:.5rem 0 0}.card{background:#fff;border-radius:8px;padding:.75rem 1rem;border-left:6px solid #2e7d32}
        .card.down{border-color:#c62828}.card.degraded,.card.suspect,.card.recovering{border-color:#ef6c00}.card.maintenance{border-color:#1565c0}
        .card.incident{border-color:#6a1b9a}.badge{font-size:.8rem;padding:.1rem .5rem;border-radius:999px;background:#eceff1}
        h3{margin:0 0 .25rem;font-size:1.05rem}small,.meta{color:#5f6b76}code{word-break:break-all;font-size:.85rem}
        .actions{display:flex;flex-wrap:wrap;gap:.5rem}.actions form{display:flex;flex-wrap:wrap;gap:.25rem}
        input{font:inherit;padding:.5rem;border:1px solid #b0bec5;border-radius:6px;min-width:10rem}
        button{font:inherit;padding:.5rem .9rem;border:0;border-radius:6px;background:#1565c0;color:#fff;min-height:44px}
        .flash{background:#e3f2fd;padding:.5rem 1rem;border-radius:6px}.flash.bad{background:#ffebee}
        ul.steps,ol.timeline{padding-left:1.2rem;margin:.25rem 0}li.failed{color:#c62828}
        @media (min-width:60rem){main{grid-template-columns:1fr 1fr}main>h2,main>p{grid-column:1/-1}}
        """

    /// Confirm dialogs on actions, and live updates: on each `update` event the main part is fetched again.
    static let script = """
        "use strict";
        document.addEventListener("submit", function (event) {
          var form = event.target;
          var question = form.getAttribute("data-confirm");
          if (question && !window.confirm(question)) { event.preventDefault(); }
        });
        (function () {
          if (!window.EventSource || !document.getElementById("live")) { return; }
          var source = new EventSource("/console/events");
          source.addEventListener("update", function () {
            var active = document.activeElement;
            if (active && active.tagName === "INPUT" && active.value) { return; }
            fetch("/console?partial=1", { credentials: "same-origin" }).then(function (response) {
              return response.ok ? response.text() : null;
            }).then(function (html) {
              if (html !== null) { document.getElementById("live").innerHTML = html; }
            });
          });
        })();
        """
}
