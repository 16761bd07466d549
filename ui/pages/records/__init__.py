"""The tabs of the 控辍与记录 page (ui.pages.records_page): each loads on the worker and shows on the GUI thread."""
