"""The document store: tenant-scoped collections of JSON entities under /store/.

Predix Asset's shape: an entity is a JSON object with a `uri` such as
`/assets/pump-1`, unique in its tenant; `/assets` is its collection. The REST
API lives under /store/ so it cannot clash with script routes
(`/store/assets/pump-1`), while entity uris keep Predix's form. Every request
goes through documents_app.pipeline, where other apps (triggers) hook in.
"""

from django.apps import AppConfig

from core.plugins import ScriptPlugin


class DocumentsConfig(ScriptPlugin, AppConfig):
    name = "documents_app"
    verbose_name = "Document store"
    default_auto_field = "django.db.models.BigAutoField"

    # The store's REST API is the platform's: no script route under it.
    script_reserved_paths = ("/store",)
    # Scripts read and write the store ($.get/$.post..., IOTA's db).
    script_host_calls = ("store.get", "store.write")
    script_settings = {
        # How deep store writes by scripts may nest (a post-processing script
        # writing to a collection whose triggers write...).
        "STORE_TRIGGER_MAX_DEPTH": 3,
        # GET of a collection: the page size when none is asked, and the most.
        "STORE_PAGE_SIZE": 100,
        "STORE_MAX_PAGE_SIZE": 1000,
        # A POST of an array: at most this many entities.
        "STORE_MAX_ENTITIES_PER_REQUEST": 1000,
    }

    def script_ops(self, invocation):
        from documents_app.ops import script_ops

        return script_ops(invocation)
