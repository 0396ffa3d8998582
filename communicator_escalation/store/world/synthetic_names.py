"""Name pools of the synthetic world generator: vendors, people and companies in several languages."""

from __future__ import annotations

import random

from pydantic import BaseModel, Field

__all__ = ["Locale", "LOCALES", "VENDORS", "company_name", "person_name"]


class Locale(BaseModel):
    """How people and companies of one market are named."""

    code: str = Field(description="Short code, used in generated domains.")
    timezone: str = Field(description="IANA timezone of the market.")
    given: tuple[str, ...] = Field(description="Given names.")
    family: tuple[str, ...] = Field(description="Family names.")
    roots: tuple[str, ...] = Field(description="First parts of company names.")
    trades: tuple[str, ...] = Field(description="Second parts of company names (what the company does).")
    legal_forms: tuple[str, ...] = Field(description="Legal forms; an empty string means none.")
    family_first: bool = Field(default=False, description="Family name before given name, no space (CJK).")
    legal_first: bool = Field(default=False, description="Legal form before the name (株式会社 ...).")


def _split(words: str) -> tuple[str, ...]:
    return tuple(words.split())


LOCALES: tuple[Locale, ...] = (
    Locale(code="us", timezone="America/New_York",
           given=_split("Avery Jordan Morgan Riley Casey Taylor Quinn Harper Logan Emerson Parker Rowan Sage Blake"),
           family=_split("Patel Nguyen Johnson Okafor Garcia Kim Brooks Foster Reyes Bennett Hayes Coleman Ward"),
           roots=_split("Data Cloud Blue Summit Iron North Bright Clear Swift Cedar Granite Harbor Pioneer Atlas"
                        " Beacon Copper Falcon Maple Vertex Orbit Prairie Redwood Silver Liberty"),
           trades=_split("Flow Works Logistics Health Analytics Foods Freight Labs Systems Retail Energy Media"
                         " Robotics Capital Payments Insurance Pharma Studios Networks Mobility"),
           legal_forms=("Inc.", "LLC", "Corp.", "Co.", "")),
    Locale(code="de", timezone="Europe/Berlin",
           given=_split("Jürgen Anna Lukas Sophie Matthias Lena Jörg Katrin Stefan Ute Björn Małgorzata"),
           family=_split("Müller Schröder Weiß Becker Hoffmann Krüger Schäfer Köhler Wagner Groß Fuchs"),
           roots=_split("Nord Süd Alpen Rhein Elb Berg Hafen Stern Wald Brücken Donau Isar Eichen Falken"),
           trades=_split("wind licht werk bau logistik technik versand stahl daten druck kraft handel"),
           legal_forms=("GmbH", "AG", "GmbH & Co. KG", "KG", "")),
    Locale(code="fr", timezone="Europe/Paris",
           given=_split("Zoë Élodie Benoît Camille Hélène Théo Maëlle François Anaïs Gaël Léa"),
           family=_split("Lefèvre Dubois Moreau Girard Rousseau Faure Mercier Bonnet Lambert Chevalier"),
           roots=_split("Café Lumière Côte Étoile Soleil Rivière Château Forêt Vallée Montagne Océan"),
           trades=_split("Conseil Transports Énergie Santé Informatique Bâtiment Édition Voyages Finance"),
           legal_forms=("SARL", "SA", "SAS", "")),
    Locale(code="es", timezone="Europe/Madrid",
           given=_split("Lucía José Mónica Andrés Begoña Íñigo Sofía Álvaro Nerea Ramón"),
           family=_split("García Núñez Peña Ibáñez Muñoz Jiménez Ortega Castaño Rodríguez Vázquez"),
           roots=_split("Horizonte Sol Mar Sierra Río Aurora Faro Nube Ciudad Camino Puerto"),
           trades=_split("Transportes Energía Salud Datos Seguros Viajes Alimentos Textil Diseño"),
           legal_forms=("S.L.", "S.A.", "")),
    Locale(code="pl", timezone="Europe/Warsaw",
           given=_split("Łukasz Zofia Piotr Małgorzata Wojciech Agnieszka Kraków Paweł Ewa Grzegorz"),
           family=_split("Kowalski Wiśniewska Nowak Zieliński Wójcik Lewandowska Dąbrowski Kamińska"),
           roots=_split("Bałtyk Wisła Tatry Orzeł Słońce Polana Zorza Bursztyn Mazury Odra"),
           trades=_split("Logistyka Energia Dane Budowa Transport Media Finanse Zdrowie Technologie"),
           legal_forms=("Sp. z o.o.", "S.A.", "")),
    Locale(code="se", timezone="Europe/Stockholm",
           given=_split("Åsa Björn Märta Sören Ingrid Göran Linnéa Håkan Maja Oskar"),
           family=_split("Lindqvist Bergström Öberg Åkesson Sjöberg Nyström Ekström Holm Dahl"),
           roots=_split("Fjäll Skog Norr Ljus Strand Älv Björk Sjö Vind Is"),
           trades=_split("Data Energi Teknik Frakt Bygg Hälsa Media Finans Spel"),
           legal_forms=("AB", "Oy", "AS", "")),
    Locale(code="jp", timezone="Asia/Tokyo",
           given=_split("太郎 花子 健 美咲 翔 由美 大輔 さくら"),
           family=_split("山田 佐藤 鈴木 高橋 田中 渡辺 伊藤 中村"),
           roots=_split("富士 桜 青空 東海 北斗 光 大和 旭 若葉 銀河"),
           trades=_split("製作所 物流 電機 商事 データ 化学 食品 通信 建設"),
           legal_forms=("株式会社", "有限会社", "合同会社"), family_first=True, legal_first=True),
    Locale(code="cn", timezone="Asia/Shanghai",
           given=_split("伟 芳 娜 敏 静 磊 洋 婷"),
           family=_split("王 李 张 刘 陈 杨 黄 赵"),
           roots=_split("华夏 长江 东方 星辰 金桥 天宇 瑞丰 宏远 新海 安泰"),
           trades=_split("科技 物流 数据 能源 医药 电子 贸易 软件"),
           legal_forms=("有限公司", "股份有限公司"), family_first=True),
    Locale(code="kr", timezone="Asia/Seoul",
           given=_split("민준 서연 지훈 하은 도윤 수아"),
           family=_split("김 이 박 최 정 강"),
           roots=_split("한빛 미래 푸른 새봄 아리 누리 하늘 바다"),
           trades=_split("테크 물류 데이터 에너지 제약 통신"),
           legal_forms=("주식회사",), family_first=True, legal_first=True),
)

# (vendor name, email domain); a seed picks one, so generated worlds are not all the same company.
VENDORS: tuple[tuple[str, str], ...] = (
    ("Cobalt Metrics", "cobaltmetrics.com"),
    ("Nordlicht Analytics", "nordlicht.de"),
    ("Vega Cloud", "vegacloud.io"),
    ("Luma Ledger", "lumaledger.com"),
    ("Kestrel Systems", "kestrel.systems"),
    ("Solveig Software", "solveig.se"),
)


def person_name(rng: random.Random, locale: Locale) -> str:
    """A full name as people of `locale` write it."""
    given, family = rng.choice(locale.given), rng.choice(locale.family)
    return f"{family}{given}" if locale.family_first else f"{given} {family}"


def company_name(rng: random.Random, locale: Locale, variant: int) -> tuple[str, str]:
    """(account name with legal form, the same name without it); `variant` > 0 adds a distinguishing word."""
    root, trade = rng.choice(locale.roots), rng.choice(locale.trades)
    joined = locale.family_first or trade[:1].islower()
    base = f"{root}{trade}" if joined else f"{root} {trade}"
    if variant:
        base = f"{base}{variant}" if locale.family_first else f"{base} {_roman(variant)}"
    legal = rng.choice(locale.legal_forms)
    if not legal:
        return base, base
    if locale.legal_first:
        return f"{legal} {base}" if rng.random() < 0.5 else f"{base}{legal}", base
    return f"{base} {legal}" if locale.family_first is False else f"{base}{legal}", base


def _roman(number: int) -> str:
    numerals = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
                (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = []
    for value, letters in numerals:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)
