// Live countdown to the end of each public notice.
(function () {
  "use strict";
  var zh = document.documentElement.lang.indexOf("zh") === 0;
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Math.max(0, Math.floor((new Date(el.getAttribute("data-countdown")) - new Date()) / 1000));
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      el.textContent = left === 0 ? (zh ? "公示已结束" : "notice ended")
        : zh ? "剩余 " + d + " 天 " + h + " 小时 " + m + " 分 " + s + " 秒" : d + "d " + h + "h " + m + "m " + s + "s left";
    });
  }
  // When a notice ends while the page is open, its objection form goes (the server refuses it too).
  function close() {
    document.querySelectorAll("details[data-closes]").forEach(function (el) {
      if (new Date(el.getAttribute("data-closes")) <= new Date()) {
        var note = document.createElement("p");
        note.className = "muted";
        note.textContent = zh ? "该项目的公示期已结束，不再接受异议。" : "The public notice for this award has ended; objections are no longer accepted.";
        el.replaceWith(note);
      }
    });
  }
  tick();
  close();
  setInterval(function () { tick(); close(); }, 1000);
})();
