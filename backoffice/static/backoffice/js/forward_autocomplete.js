// Context-aware pickers: an autocomplete <select data-forward="customer product"> sends the
// current values of those fields of its form with the term (forward_customer=12, ...), so
// the server narrows its choices (backoffice.platform.admin.autocomplete). A choice that no
// longer fits once a forwarded field changes is cleared.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const $ = window.django && window.django.jQuery;
  if (!$) {
    return;
  }
  const pickers = () => document.querySelectorAll("select[data-forward]");
  const fieldOf = (select, name) => {
    const form = select.form || document;
    return form.querySelector(`[name="${name}"]`);
  };
  $.ajaxPrefilter((options, original) => {
    const data = original.data;
    if (!data || typeof data !== "object" || !data.field_name || !data.model_name) {
      return;
    }
    const select = Array.from(pickers()).find((s) =>
      s.dataset.fieldName === data.field_name && s.dataset.modelName === data.model_name);
    if (!select) {
      return;
    }
    const extra = select.dataset.forward.split(/\s+/).filter(Boolean).map((name) => {
      const field = fieldOf(select, name);
      return `forward_${encodeURIComponent(name)}=${encodeURIComponent(field ? field.value : "")}`;
    });
    if (extra.length) {
      options.data = (options.data ? `${options.data}&` : "") + extra.join("&");
    }
  });
  pickers().forEach((select) => {
    select.dataset.forward.split(/\s+/).filter(Boolean).forEach((name) => {
      const field = fieldOf(select, name);
      if (field) {
        $(field).on("change", () => {
          if (select.value) {
            $(select).val(null).trigger("change");
          }
        });
      }
    });
  });
});
