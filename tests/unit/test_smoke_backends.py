from kiosk.model.catalog import ItemSpec


def test_purchase_then_sale_on_each_backend(ledger):
    ledger.add_warehouse("MAIN")
    ledger.add_item(ItemSpec("PHN", "Phone", serial=True))
    posted = ledger.post({"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "serials": "A B"}]})
    assert posted["lines"][0]["serials"] == ["A", "B"]
    ledger.post({"type": "sale", "warehouse": "MAIN", "lines": [{"sku": "PHN", "serials": ["A"]}]})
    assert ledger.item("PHN")["stock"] == {"MAIN": {"on_hand": 1, "serials_in_stock": 1}}
