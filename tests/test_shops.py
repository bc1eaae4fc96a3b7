"""One ticket, several shops: words that one shop connects fine never clear another shop's error."""

from __future__ import annotations

import pytest

from plugin.core.classify import classify
from plugin.core.models import Ticket
from plugin.core.shops import shop_of


@pytest.mark.parametrize(("sentence", "shop"), [
    ("Das erste Konto ist seit Wochen problemlos verbunden.", "1"),
    ("das kommt bei unserem zweiten Verkäuferkonto", "2"),
    ("1店舗目と2店舗目はAmazonと問題なく接続できています。", "2"),  # the nearest before the end
    ("Shop B: connected fine", "B"),
    ("the other store works", "other"),
    ("l'autre compte fonctionne", "other"),
    ("la deuxième boutique affiche une erreur", "2"),
    # A table's row (tables.py: as many cells as the row above or below): its own shop's; one line with bars is none.
    ("Cliente\tMarketplace\tEstado\nOlivares\tamazon.es\tConectado", "row@27"),
    ("Boutique | Marketplace | Statut | Note\nMaison Verlaine | amazon.fr | OK | -", "row@39"),
    ("Maison Verlaine | amazon.fr | OK | -", None),
    # No shop: an attempt's ordinal, or a number that is not a shop's.
    ("I tried a second time", None),
    ("my account 2fa code", None),
])
def test_shop_of_names_the_shop_a_sentence_speaks_of(sentence: str, shop: str | None) -> None:
    assert shop_of(sentence, len(sentence) - 1, len(sentence)) == shop


@pytest.mark.parametrize(("subject", "description", "found"), [
    # Another account connects fine: the second one's banner (the subject) stands.
    ("Couldn't connect, contact Amazon", "Hallo,\n\nsiehe Betreff, das kommt bei unserem zweiten Verkäuferkonto. "
     "Das erste Konto ist seit Wochen problemlos verbunden. Soll ich bei Amazon anrufen?", ("contact_amazon",)),
    ("3店舗目のAmazon接続でエラー", "弊社では3店舗を運営しており、1店舗目と2店舗目はAmazonと問題なく接続できています。"
     "3店舗目だけ、接続ボタンを押すと毎回「エラーが発生しました」と表示されます。", ("generic_error",)),
    ("Amazon for our shops", "Shop A connected fine yesterday.\nShop B says \"The account connection timed out\" "
     "every time we try.", ("connection_timeout",)),
    # A status table: the first row's "connected" speaks of its own shop only.
    ("Estado conexiones", "Cliente\tMarketplace\tEstado\tComentario\nOlivares\tamazon.es\tConectado\t-\n"
     "Ribas\tamazon.es\tError\tdice que la cuenta no es una cuenta de vendedor Profesional\n", ("not_professional",)),
    # One shop named, and its own error is over: the words still clear it.
    ("Amazon", "Our first store showed \"The account connection timed out\" yesterday. Our first store is "
     "connected fine now, thanks, you can close this.", ()),
])
def test_words_about_another_shop_never_clear_this_shops_error(patterns, subject: str, description: str,
                                                               found: tuple[str, ...]) -> None:
    result = classify(Ticket(subject=subject, description=description), patterns)
    assert set(result.detection.matched) == set(found)
