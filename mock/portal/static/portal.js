// The portal's only script: pages that wait for the emulated phone (a push
// to approve, a call to answer, the phone panel itself) poll a small JSON
// state and, when it changes, press the page's Continue button or reload
// the page.
// Nothing else; every control works without it.
(function () {
  'use strict';
  var body = document.body;
  var url = body.getAttribute('data-poll');
  if (!url) { return; }
  var version = body.getAttribute('data-version');
  var buttonId = body.getAttribute('data-poll-submit');
  function busy() {
    // Do not reload under a person typing on the phone panel.
    var a = document.activeElement;
    if (a && (a.tagName === 'INPUT' || a.tagName === 'SELECT') && a.type !== 'checkbox') { return true; }
    var inputs = document.querySelectorAll('input[type=text]');
    for (var i = 0; i < inputs.length; i++) { if (inputs[i].value !== '') { return true; } }
    return false;
  }
  function tick() {
    fetch(url, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.v === version) { return setTimeout(tick, 1000); }
        if (buttonId) {
          var b = document.getElementById(buttonId);
          if (b) { b.click(); return; }
        }
        if (busy()) { return setTimeout(tick, 1000); }
        window.location.reload();
      })
      .catch(function () { setTimeout(tick, 2000); });
  }
  setTimeout(tick, 1000);
}());
