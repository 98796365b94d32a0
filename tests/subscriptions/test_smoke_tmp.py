from tests import factories


def test_factories(db, session_tariff):
    ext = factories.ExtensionFactory(subscription__tariff=session_tariff.offered_for.get(), tariff=session_tariff, period=session_tariff.periods.get(count=1))
    ext.full_clean()
    ext.subscription.full_clean()
    assert ext.number.startswith("Р")
    assert ext.subscription.number == "Т00000001"
