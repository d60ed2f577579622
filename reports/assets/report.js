// Sorting and filtering of the user table. The page is complete without
// this script: it only adds the controls and the sort buttons.
(function () {
  'use strict';
  var table = document.getElementById('user-table');
  var controls = document.getElementById('user-controls');
  if (!table || !controls || !table.tBodies.length || !table.tHead) {
    return;
  }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var search = document.getElementById('f-search');
  var cls = document.getElementById('f-class');
  var finding = document.getElementById('f-finding');
  var type = document.getElementById('f-type');
  var adminsOnly = document.getElementById('f-admins');
  var enabledOnly = document.getElementById('f-enabled');
  var shown = document.getElementById('f-shown');

  function matches(r, q) {
    if (q && r.cells[0].textContent.toLowerCase().indexOf(q) < 0) {
      return false;
    }
    if (cls.value && r.getAttribute('data-class') !== cls.value) {
      return false;
    }
    if (finding.value && (' ' + r.getAttribute('data-findings') + ' ').indexOf(' ' + finding.value + ' ') < 0) {
      return false;
    }
    if (type.value && r.getAttribute('data-type') !== type.value) {
      return false;
    }
    if (adminsOnly.checked && r.getAttribute('data-admin') !== '1') {
      return false;
    }
    if (enabledOnly.checked && r.getAttribute('data-enabled') !== '1') {
      return false;
    }
    return true;
  }

  function apply() {
    var q = search.value.trim().toLowerCase();
    var n = 0;
    for (var i = 0; i < rows.length; i++) {
      var ok = matches(rows[i], q);
      rows[i].hidden = !ok;
      if (ok) {
        n++;
      }
    }
    shown.textContent = String(n);
  }

  var pending = 0;
  function applySoon() {
    if (pending) {
      window.clearTimeout(pending);
    }
    pending = window.setTimeout(function () {
      pending = 0;
      apply();
    }, 120);
  }

  function sortKey(cell, numeric) {
    var k = cell.getAttribute('data-sort');
    if (k === null) {
      k = cell.textContent;
    }
    if (numeric) {
      var n = parseFloat(k);
      return isNaN(n) ? 0 : n;
    }
    return k.toLowerCase();
  }

  function sortBy(th, col) {
    var numeric = th.getAttribute('data-type') === 'number';
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    var ths = table.tHead.rows[0].cells;
    for (var i = 0; i < ths.length; i++) {
      ths[i].removeAttribute('aria-sort');
    }
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    var keyed = rows.map(function (r, i) {
      return { row: r, key: sortKey(r.cells[col], numeric), index: i };
    });
    keyed.sort(function (a, b) {
      if (a.key < b.key) {
        return -dir;
      }
      if (a.key > b.key) {
        return dir;
      }
      return a.index - b.index;
    });
    var frag = document.createDocumentFragment();
    rows = keyed.map(function (k) {
      frag.appendChild(k.row);
      return k.row;
    });
    tbody.appendChild(frag);
  }

  var ths = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(ths, function (th, col) {
    var button = document.createElement('button');
    button.type = 'button';
    button.textContent = th.textContent;
    button.title = 'Sort by ' + th.textContent;
    th.textContent = '';
    th.appendChild(button);
    button.addEventListener('click', function () {
      sortBy(th, col);
    });
  });

  search.addEventListener('input', applySoon);
  [cls, finding, type, adminsOnly, enabledOnly].forEach(function (el) {
    el.addEventListener('change', apply);
  });
  controls.hidden = false;
  apply();
}());
