"""What each role may do in the knowledge base (merged into
``platform.roles.permission_matrix``): engineers and the manager write, only the manager
publishes (never their own article), the other roles read."""

from backoffice.platform.roles import ALL, ANY, OTHERS, crud

_read = ["backoffice.view_articleevent", *crud("backoffice.article", "view"),
         *crud("backoffice.articleuse", "view")]

PERMISSIONS: dict[str, list[str]] = {
    "clerk": _read,
    "engineer": [*_read, *crud("backoffice.article", "add", "change"),
                 *crud("backoffice.articleattachment", *ALL), "backoffice.write_article"],
    "manager": [*_read, *crud("backoffice.article", *ALL),
                *crud("backoffice.articleattachment", *ALL),
                "backoffice.write_article", "backoffice.publish_article"],
    "business": [*crud("backoffice.article", "view"), "backoffice.view_articleevent"],
    "trainer": [*crud("backoffice.article", "view"), "backoffice.view_articleevent"],
}

OWNERS = {
    "article": ("author",),
}

TRANSITIONS = {
    "article": {
        "submit": {"engineer": ANY, "manager": ANY},
        "revise": {"engineer": ANY, "manager": ANY},
        "send_back": {"manager": ANY},
        "publish": {"manager": OTHERS},
        "confirm_current": {"manager": ANY},
        "retire": {"manager": ANY},
    },
}
