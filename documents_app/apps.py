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

    platform_graphql_query = "documents_app.graphql.StoreQuery"
    platform_graphql_mutation = "documents_app.graphql.StoreMutation"
    # The store's REST API is the platform's: no script route under it.
    script_reserved_paths = ("/store",)
    # IOTA's db and services; Predix's $.get/$.post... ask the same host calls.
    script_api_js = "script_api.js"
    script_host_calls = ("store.get", "store.find", "store.write")
    # IOTA's writes (and e-mails) are effects, applied after success (R5).
    script_effect_prefix = "store."
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

    def apply_script_effects(self, invocation, effects):
        from documents_app.effects import apply

        apply(invocation, effects)
