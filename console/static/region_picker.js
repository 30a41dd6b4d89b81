// The region picker's search box takes the focus when the list opens: Select2 4.0 with jQuery 3.6
// leaves it unfocused, so typed text went into the next field and Enter chose the blank option.
(function () {
  if (!window.jQuery) { return; }
  jQuery(document).on("select2:open", "select.region-picker", function () {
    window.setTimeout(function () {
      var box = document.querySelector(".select2-container--open .select2-search__field");
      if (box) { box.focus(); }
    }, 0);
  });
})();
