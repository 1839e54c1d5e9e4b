"""The aiwebengine seed's asset-CRUD example, verbatim, over real HTTP.

It registers `/assets` only, and serves `/assets/<name>` from the same
handler: literal routes answer the paths below them (scripts_app.routing).
"""

import base64

import pytest
from django.urls import reverse

from tests.e2e.servers import put_script

pytestmark = pytest.mark.server

# aiwebengine-javascript-api.md, "Asset Management Example", verbatim.
SEED_ASSET_CRUD = """
function assetHandler(req) {
  const method = req.method;
  const path = req.path;

  if (method === "GET" && path === "/assets") {
    // List all assets with metadata
    const assetsJson = assetStorage.listAssets();
    const assets = JSON.parse(assetsJson);
    return {
      status: 200,
      body: JSON.stringify({
        assets: assets,
        count: assets.length,
      }),
      contentType: "application/json",
    };
  }

  if (method === "GET" && path.startsWith("/assets/")) {
    // Get specific asset
    const assetName = path.substring("/assets/".length);
    const content = assetStorage.fetchAsset(assetName);

    if (content.startsWith("Asset '")) {
      return { status: 404, body: "Asset not found" };
    }

    return {
      status: 200,
      bodyBase64: content,
      contentType: "application/octet-stream",
    };
  }

  if (method === "POST" && path === "/assets") {
    // Create/update asset
    const { name, content, mimetype } = req.form;
    const result = assetStorage.upsertAsset(name, content, mimetype);

    return {
      status: 201,
      body: JSON.stringify({ message: result }),
      contentType: "application/json",
    };
  }

  if (method === "DELETE" && path.startsWith("/assets/")) {
    // Delete asset
    const assetName = path.substring("/assets/".length);
    const result = assetStorage.deleteAsset(assetName);

    return {
      status: 200,
      body: JSON.stringify({ message: result }),
      contentType: "application/json",
    };
  }

  return { status: 404, body: "Not found" };
}

routeRegistry.registerRoute("/assets", "assetHandler", "GET");
routeRegistry.registerRoute("/assets", "assetHandler", "POST");
routeRegistry.registerRoute("/assets", "assetHandler", "DELETE");
"""

CONTENT = b"seed \x00 asset \xff bytes"
NAME = "seed-crud/data.bin"


@pytest.fixture
def crud(server):
    uploaded = put_script(server, "seed-asset-crud", SEED_ASSET_CRUD)
    assert uploaded.status_code in (200, 201), uploaded.text
    with server.client() as client:
        granted = client.put(
            reverse("script-capabilities", kwargs={"name": "seed-asset-crud"}),
            json={"capabilities": ["ReadAssets", "WriteAssets", "DeleteAssets"]},
            headers=server.auth,
        )
    assert granted.status_code == 200, granted.text
    return server


def test_every_branch_of_the_seeds_asset_crud_example_works(crud):
    form = {
        "name": NAME,
        "content": base64.b64encode(CONTENT).decode(),
        "mimetype": "application/octet-stream",
    }
    with crud.client() as client:
        created = client.post("/assets", data=form)
        listed = client.get("/assets")
        fetched = client.get(f"/assets/{NAME}")
        deleted = client.delete(f"/assets/{NAME}")
        gone = client.get(f"/assets/{NAME}")
        deleted_again = client.delete(f"/assets/{NAME}")
        other = client.post(f"/assets/{NAME}", data=form)
        listed_after = client.get("/assets")

    assert (created.status_code, created.json()) == (
        201,
        {"message": f"Asset '{NAME}' saved successfully"},
    )
    assert listed.status_code == 200
    names = [a["name"] for a in listed.json()["assets"]]
    assert NAME in names
    assert listed.json()["count"] == len(names)
    assert (fetched.status_code, fetched.content) == (200, CONTENT)
    assert fetched.headers["content-type"] == "application/octet-stream"
    assert (deleted.status_code, deleted.json()) == (
        200,
        {"message": f"Asset '{NAME}' deleted successfully"},
    )
    assert (gone.status_code, gone.text) == (404, "Asset not found")
    assert (deleted_again.status_code, deleted_again.json()) == (
        200,
        {"message": f"Asset '{NAME}' not found"},
    )
    # POST /assets/<name> reaches the handler too, which answers its last branch.
    assert (other.status_code, other.text) == (404, "Not found")
    assert NAME not in [a["name"] for a in listed_after.json()["assets"]]


def test_a_method_the_example_does_not_register_answers_405(crud):
    with crud.client() as client:
        reply = client.put(f"/assets/{NAME}", content=b"x")

    assert reply.status_code == 405
    assert reply.headers["allow"] == "DELETE, GET, HEAD, POST"
    assert reply.json()["error"]["code"] == "method_not_allowed"
