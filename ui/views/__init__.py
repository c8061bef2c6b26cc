"""Qt Widgets views: layout and bindings only; behaviour lives in ui.viewmodels."""
