"""Reading an admin page the way a browser does, for tests that post what it shows."""

from html.parser import HTMLParser


def form_data(html):
    """Every named input/select/textarea of the page, as a browser would post them."""

    class Parser(HTMLParser):
        def __init__(self):
            super().__init__()
            self.data, self.select, self.textarea = {}, None, None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("name") and a.get("type") not in ("submit", "file"):
                if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                    return
                self.data[a["name"]] = a.get("value", "on" if a.get("type") == "checkbox"
                                                else "")
            elif tag == "select" and a.get("name"):
                self.select = a["name"]
                self.data.setdefault(self.select, "")
            elif tag == "option" and self.select and "selected" in a:
                self.data[self.select] = a.get("value", "")
            elif tag == "textarea" and a.get("name"):
                self.textarea = a["name"]
                self.data[self.textarea] = ""

        def handle_endtag(self, tag):
            if tag == "select":
                self.select = None
            if tag == "textarea":
                self.textarea = None

        def handle_data(self, data):
            if self.textarea:
                self.data[self.textarea] += data

    parser = Parser()
    parser.feed(html)
    return parser.data
