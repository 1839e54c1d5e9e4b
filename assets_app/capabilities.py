"""What an admin may grant a script for assets (declared in AssetsConfig)."""

READ_ASSETS = "ReadAssets"
WRITE_ASSETS = "WriteAssets"
DELETE_ASSETS = "DeleteAssets"

LABELS = {
    READ_ASSETS: "ReadAssets: list and fetch the tenant's assets",
    WRITE_ASSETS: "WriteAssets: create and replace assets",
    DELETE_ASSETS: "DeleteAssets: delete assets",
}
