# ruff: noqa: RUF001 (translations use Cyrillic letters and full-width marks)
"""Labels of the questionnaires in the six official languages of the United Nations.

English is the reference text: it is part of a questionnaire's published
version, and any label missing in another language falls back to it. The
other languages can gain labels without a new questionnaire version.

NOTE: the translations were written by the developers, not by United Nations
translation services, and need their review before use with States.
"""

from dataclasses import dataclass
from enum import StrEnum


class Language(StrEnum):
    ARABIC = "ar"
    CHINESE = "zh"
    ENGLISH = "en"
    FRENCH = "fr"
    RUSSIAN = "ru"
    SPANISH = "es"


FALLBACK = Language.ENGLISH

ENGLISH: dict[str, str] = {
    "instrument.convention": (
        "United Nations Convention against Transnational Organized Crime"
    ),
    "instrument.trafficking_in_persons": (
        "Protocol to Prevent, Suppress and Punish Trafficking in Persons, "
        "Especially Women and Children"
    ),
    "instrument.smuggling_of_migrants": (
        "Protocol against the Smuggling of Migrants by Land, Sea and Air"
    ),
    "instrument.firearms": (
        "Protocol against the Illicit Manufacturing of and Trafficking in "
        "Firearms, Their Parts and Components and Ammunition"
    ),
    "cluster.criminalization": "Criminalization and jurisdiction",
    "cluster.prevention": (
        "Prevention, technical assistance, protection measures and other measures"
    ),
    "cluster.law_enforcement": "Law enforcement and the judicial system",
    "cluster.international_cooperation": (
        "International cooperation, mutual legal assistance and confiscation"
    ),
    "section": "Article {article}",
    "question.implementation": (
        "Has your State adopted the measures required by article {article}?"
    ),
    "question.explanation": "Explain your answer.",
    "question.citations": (
        "Cite the laws, regulations and cases that implement article {article}."
    ),
    "question.obstacles": (
        "What obstacles has your State met in implementing article {article}?"
    ),
    "question.practice": "Give examples of implementation and good practices.",
    "question.statistics.criminalization": (
        "Number of convictions under these provisions in the last full year."
    ),
    "question.statistics.international_cooperation": (
        "Number of requests received under these provisions in the last full year."
    ),
    "question.statistics.law_enforcement": (
        "Number of investigations under these provisions in the last full year."
    ),
    "question.statistics.prevention": (
        "Number of persons assisted or trained under these provisions "
        "in the last full year."
    ),
    "question.documents": "Attach supporting documents.",
    "question.assistance": (
        "What technical assistance would your State need to implement "
        "article {article} fully?"
    ),
    "option.yes": "Yes",
    "option.partly": "Partly",
    "option.no": "No",
    "assistance.legal_advice": "Legal advice",
    "assistance.legislative_drafting": "Legislative drafting",
    "assistance.model_legislation": "Model legislation",
    "assistance.good_practices": "Summary of good practices and lessons learned",
    "assistance.action_plan": "Development of an action plan",
    "assistance.on_site_expert": "On-site assistance by an expert",
    "assistance.capacity_building": "Capacity-building programmes",
    "assistance.technology": "Technology assistance",
    "assistance.other": "Other assistance",
    "priority.high": "High",
    "priority.medium": "Medium",
    "priority.low": "Low",
}

FRENCH: dict[str, str] = {
    "instrument.convention": (
        "Convention des Nations Unies contre la criminalité transnationale organisée"
    ),
    "instrument.trafficking_in_persons": (
        "Protocole visant à prévenir, réprimer et punir la traite des personnes, "
        "en particulier des femmes et des enfants"
    ),
    "instrument.smuggling_of_migrants": (
        "Protocole contre le trafic illicite de migrants par terre, air et mer"
    ),
    "instrument.firearms": (
        "Protocole contre la fabrication et le trafic illicites d'armes à feu, "
        "de leurs pièces, éléments et munitions"
    ),
    "cluster.criminalization": "Incrimination et compétence",
    "cluster.prevention": (
        "Prévention, assistance technique, mesures de protection et autres mesures"
    ),
    "cluster.law_enforcement": "Détection et répression et système judiciaire",
    "cluster.international_cooperation": (
        "Coopération internationale, entraide judiciaire et confiscation"
    ),
    "section": "Article {article}",
    "question.implementation": (
        "Votre État a-t-il adopté les mesures requises par l'article {article} ?"
    ),
    "question.explanation": "Expliquez votre réponse.",
    "question.citations": (
        "Citez les lois, règlements et affaires qui appliquent l'article {article}."
    ),
    "question.obstacles": (
        "Quels obstacles votre État a-t-il rencontrés dans l'application "
        "de l'article {article} ?"
    ),
    "question.practice": "Donnez des exemples d'application et de bonnes pratiques.",
    "question.documents": "Joignez les documents utiles.",
    "question.assistance": (
        "De quelle assistance technique votre État aurait-il besoin pour appliquer "
        "pleinement l'article {article} ?"
    ),
    "option.yes": "Oui",
    "option.partly": "En partie",
    "option.no": "Non",
    "assistance.legal_advice": "Conseils juridiques",
    "assistance.legislative_drafting": "Rédaction de textes législatifs",
    "assistance.model_legislation": "Législation type",
    "assistance.good_practices": "Synthèse des bonnes pratiques et des enseignements",
    "assistance.action_plan": "Élaboration d'un plan d'action",
    "assistance.on_site_expert": "Assistance sur place d'un expert",
    "assistance.capacity_building": "Programmes de renforcement des capacités",
    "assistance.technology": "Assistance technologique",
    "assistance.other": "Autre assistance",
    "priority.high": "Élevée",
    "priority.medium": "Moyenne",
    "priority.low": "Faible",
}

SPANISH: dict[str, str] = {
    "instrument.convention": (
        "Convención de las Naciones Unidas contra la Delincuencia Organizada "
        "Transnacional"
    ),
    "instrument.trafficking_in_persons": (
        "Protocolo para prevenir, reprimir y sancionar la trata de personas, "
        "especialmente mujeres y niños"
    ),
    "instrument.smuggling_of_migrants": (
        "Protocolo contra el tráfico ilícito de migrantes por tierra, mar y aire"
    ),
    "instrument.firearms": (
        "Protocolo contra la fabricación y el tráfico ilícitos de armas de fuego, "
        "sus piezas y componentes y municiones"
    ),
    "cluster.criminalization": "Penalización y jurisdicción",
    "cluster.prevention": (
        "Prevención, asistencia técnica, medidas de protección y otras medidas"
    ),
    "cluster.law_enforcement": "Aplicación de la ley y sistema judicial",
    "cluster.international_cooperation": (
        "Cooperación internacional, asistencia judicial recíproca y decomiso"
    ),
    "section": "Artículo {article}",
    "question.implementation": (
        "¿Ha adoptado su Estado las medidas exigidas por el artículo {article}?"
    ),
    "question.explanation": "Explique su respuesta.",
    "question.citations": (
        "Cite las leyes, reglamentos y causas que aplican el artículo {article}."
    ),
    "question.obstacles": (
        "¿Qué obstáculos ha encontrado su Estado para aplicar el artículo {article}?"
    ),
    "question.practice": "Dé ejemplos de aplicación y de buenas prácticas.",
    "question.documents": "Adjunte los documentos pertinentes.",
    "question.assistance": (
        "¿Qué asistencia técnica necesitaría su Estado para aplicar plenamente "
        "el artículo {article}?"
    ),
    "option.yes": "Sí",
    "option.partly": "En parte",
    "option.no": "No",
    "assistance.legal_advice": "Asesoramiento jurídico",
    "assistance.legislative_drafting": "Redacción de textos legislativos",
    "assistance.model_legislation": "Legislación modelo",
    "assistance.good_practices": "Resumen de buenas prácticas y lecciones aprendidas",
    "assistance.action_plan": "Elaboración de un plan de acción",
    "assistance.on_site_expert": "Asistencia in situ de un experto",
    "assistance.capacity_building": "Programas de fomento de la capacidad",
    "assistance.technology": "Asistencia tecnológica",
    "assistance.other": "Otro tipo de asistencia",
    "priority.high": "Alta",
    "priority.medium": "Media",
    "priority.low": "Baja",
}

RUSSIAN: dict[str, str] = {
    "instrument.convention": (
        "Конвенция Организации Объединенных Наций против транснациональной "
        "организованной преступности"
    ),
    "instrument.trafficking_in_persons": (
        "Протокол о предупреждении и пресечении торговли людьми, особенно "
        "женщинами и детьми, и наказании за нее"
    ),
    "instrument.smuggling_of_migrants": (
        "Протокол против незаконного ввоза мигрантов по суше, морю и воздуху"
    ),
    "instrument.firearms": (
        "Протокол против незаконного изготовления и оборота огнестрельного "
        "оружия, его составных частей и компонентов, а также боеприпасов к нему"
    ),
    "cluster.criminalization": "Криминализация и юрисдикция",
    "cluster.prevention": (
        "Предупреждение, техническая помощь, меры защиты и другие меры"
    ),
    "cluster.law_enforcement": "Правоохранительная деятельность и судебная система",
    "cluster.international_cooperation": (
        "Международное сотрудничество, взаимная правовая помощь и конфискация"
    ),
    "section": "Статья {article}",
    "question.implementation": (
        "Приняло ли ваше государство меры, требуемые статьей {article}?"
    ),
    "question.explanation": "Поясните ваш ответ.",
    "question.obstacles": (
        "С какими трудностями столкнулось ваше государство при осуществлении "
        "статьи {article}?"
    ),
    "option.yes": "Да",
    "option.partly": "Частично",
    "option.no": "Нет",
    "priority.high": "Высокий",
    "priority.medium": "Средний",
    "priority.low": "Низкий",
}

CHINESE: dict[str, str] = {
    "instrument.convention": "联合国打击跨国有组织犯罪公约",
    "instrument.trafficking_in_persons": (
        "关于预防、禁止和惩治贩运人口特别是妇女和儿童行为的补充议定书"
    ),
    "instrument.smuggling_of_migrants": "关于打击陆、海、空偷运移民的补充议定书",
    "instrument.firearms": "关于打击非法制造和贩运枪支及其零部件和弹药的补充议定书",
    "cluster.criminalization": "刑事定罪和管辖权",
    "cluster.prevention": "预防、技术援助、保护措施和其他措施",
    "cluster.law_enforcement": "执法和司法系统",
    "cluster.international_cooperation": "国际合作、司法协助和没收",
    "section": "第{article}条",
    "question.implementation": "贵国是否已采取第{article}条所要求的措施？",
    "question.explanation": "请解释您的答复。",
    "option.yes": "是",
    "option.partly": "部分",
    "option.no": "否",
}

ARABIC: dict[str, str] = {
    "instrument.convention": (
        "اتفاقية الأمم المتحدة لمكافحة الجريمة المنظمة عبر الوطنية"
    ),
    "instrument.trafficking_in_persons": (
        "بروتوكول منع وقمع ومعاقبة الاتجار بالأشخاص، وبخاصة النساء والأطفال"
    ),
    "instrument.smuggling_of_migrants": (
        "بروتوكول مكافحة تهريب المهاجرين عن طريق البر والبحر والجو"
    ),
    "cluster.criminalization": "التجريم والولاية القضائية",
    "cluster.law_enforcement": "إنفاذ القانون والنظام القضائي",
    "section": "المادة {article}",
    "question.implementation": (
        "هل اعتمدت دولتكم التدابير التي تقتضيها المادة {article}؟"
    ),
    "question.explanation": "يرجى شرح إجابتكم.",
    "option.yes": "نعم",
    "option.partly": "جزئيا",
    "option.no": "لا",
}

CATALOGUE: dict[Language, dict[str, str]] = {
    Language.ENGLISH: ENGLISH,
    Language.FRENCH: FRENCH,
    Language.SPANISH: SPANISH,
    Language.RUSSIAN: RUSSIAN,
    Language.CHINESE: CHINESE,
    Language.ARABIC: ARABIC,
}


@dataclass
class Translator:
    """Labels of one language; records every key that fell back to English."""

    language: Language
    fell_back: set[str]

    @classmethod
    def for_language(cls, language: Language) -> "Translator":
        return cls(language, set())

    def label(self, key: str, **arguments: object) -> str:
        template = CATALOGUE[self.language].get(key)
        if template is None:
            self.fell_back.add(key)
            template = ENGLISH[key]
        return template.format(**arguments)

    def title(self, instrument: str, cluster: str) -> str:
        """Return a questionnaire's title from its instrument and cluster values."""
        cluster_title = self.label(f"cluster.{cluster}")
        return f"{self.label(f'instrument.{instrument}')}: {cluster_title}"

    def fallback_labels(self) -> list[str]:
        return sorted(self.fell_back)


def negotiate(accept_language: str | None) -> Language:
    """Pick the best supported language of an Accept-Language header (RFC 9110).

    Ranges are compared by their primary subtag, so `fr-CH` selects French
    and `zh-Hans` Chinese. Without a supported range the result is English.
    """
    best: tuple[float, Language] | None = None
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, parameters = item.strip().partition(";")
        language = _supported(tag.strip().split("-")[0].lower())
        quality = _quality(parameters)
        if language is None or quality <= 0:
            continue
        # Earlier ranges win ties, as listed by the client.
        rank = quality - position * 1e-6
        if best is None or rank > best[0]:
            best = (rank, language)
    return best[1] if best else FALLBACK


def _supported(primary_tag: str) -> Language | None:
    try:
        return Language(primary_tag)
    except ValueError:
        return None


def _quality(parameters: str) -> float:
    name, _, value = parameters.strip().partition("=")
    if name.strip().lower() != "q":
        return 1.0
    try:
        return float(value)
    except ValueError:
        return 0.0
