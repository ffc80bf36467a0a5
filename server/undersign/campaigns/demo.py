"""The demo appeal `make run` seeds: Kazakh first, with Russian and English, as a union
in Zhezkazgan would run it (its organisers named, so the privacy notice, the emails and the
hand-over list read as they would for a real campaign)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from undersign.campaigns import petitions
from undersign.core.auth import CLI
from undersign.core.models import Petition

SLUG = "zhezkazgan"
# Who holds the signers' data and signs the emails. The address is on a reserved domain
# (RFC 2606): the demo's mail goes nowhere real.
ORGANISER_NAME = "Жезқазған металлургтерінің бастамашыл тобы"
ORGANISER_CONTACT = "ortaq@zhezkazgan-metallurg.example"

TEXTS = {
    "kk": {
        "title": "Жезқазған зауытын сақтайық: «консервация» емес, ұлттандыру",
        "summary": (
            "Кәсіпорын иелері мыс балқыту зауытын «консервациялауды» жоспарлап отыр: "
            "бұл\u00a0— 800 адамның жұмыссыз қалуы және тұтас кеншілер қаласының болашақсыз "
            "қалуы деген сөз. Жұмысшылар оның орнына зауытты қоғамдық меншікке беруді талап "
            "етеді және сізден қолдау күтеді."
        ),
        "body": (
            "Зауыт иелері 1 қыркүйектен бастап кәсіпорын «консервацияланатынын» жариялады. "
            "Сегіз жүз жұмысшы жұмыссыз қалады, қалғандары тек зауытты бөлшектеу үшін "
            "қалдырылады. Келесі кезекте Сәтбаевтағы байыту фабрикасы жабылады деген сөз бар: "
            "сонда отбасы мүшелерін қоса алғанда, он бес мыңға жуық адам күнкөрісінен "
            "айырылады.\n\n"
            "Ондаған жылдар бойы Жезқазған жұмысшылары осы өңірді асырап келді. Олар әлемдік "
            "нарықта мыс арзандады деп, өз қалаларының қаңырап бос қалуына көнбейді.\n\n"
            "Біз, төменде қол қоюшылар, олардың талабын қолдаймыз: зауытты және компанияның "
            "Жезқазған мен Сәтбаевтағы басқа кәсіпорындарын қоғамдық меншікке беру, барлық "
            "жұмыс орындарын сақтау және жұмысшыларға басқаруда дауыс құқығын беру.\n\n"
            "Қол қойып, қаласаңыз, жұмысшыларға қолдау сөзіңізді қалдырыңыз."
        ),
        "target": "Қазақстан Республикасының Үкіметіне",
    },
    "ru": {
        "title": "Сохраним завод в Жезказгане: национализация, а не «консервация»",
        "summary": (
            "Владельцы собираются «законсервировать» медеплавильный завод: это 800 уволенных и "
            "целый шахтёрский город без будущего. Рабочие требуют вместо этого передать завод в "
            "общественную собственность и просят вас поддержать их."
        ),
        "body": (
            "Владельцы завода объявили, что с 1 сентября предприятие будет «законсервировано». "
            "Восемьсот рабочих потеряют работу, остальных оставят лишь для того, чтобы "
            "разобрать завод. Ходят слухи, что следующей закроют обогатительную фабрику в "
            "Сатпаеве: тогда без средств к существованию останется около пятнадцати тысяч "
            "человек, включая членов семей.\n\n"
            "Десятилетиями рабочие Жезказгана держали на себе этот регион. Они не согласны с "
            "тем, что из-за падения мировых цен на медь их города должны опустеть.\n\n"
            "Мы, нижеподписавшиеся, поддерживаем их требование: передать завод и другие "
            "предприятия компании в Жезказгане и Сатпаеве в общественную собственность, "
            "сохранить все рабочие места и дать рабочим право голоса в управлении "
            "предприятиями.\n\n"
            "Поставьте свою подпись и, если хотите, оставьте слова поддержки для рабочих."
        ),
        "target": "Правительству Республики Казахстан",
    },
    "en": {
        "title": "Keep Zhezkazgan's smelter alive: nationalise it, don't mothball it",
        "summary": (
            "The owners plan to ‘conserve’ the copper smelter, which means 800 jobs gone and a "
            "town of miners' families left without a future. The workers ask for the plant to be "
            "taken into public ownership instead, and for your solidarity."
        ),
        "body": (
            "The smelter's owners have announced that the plant will be put into "
            "“conservation” on 1 September. Eight hundred workers are to lose their jobs; the "
            "rest are to stay only to take the plant apart. With the enrichment plant in "
            "Satpaev rumoured to be next, some fifteen thousand people, families included, "
            "would lose their livelihood.\n\n"
            "For decades the workers of Zhezkazgan kept this region alive. They do not accept "
            "that a fall in the price of copper on the world market should turn their towns "
            "into ghost towns.\n\n"
            "We, the undersigned, support their demand: bring the smelter and the company's "
            "other plants in Zhezkazgan and Satpaev into public ownership, keep every job, and "
            "let the workers have a say in how the plants are run.\n\n"
            "Add your name and, if you wish, a message of solidarity for the workers."
        ),
        "target": "The Government of the Republic of Kazakhstan",
    },
}


def seed(session: Session) -> bool:
    """Create the demo petition unless it exists; return whether it was created."""
    if session.scalar(select(Petition.id).where(Petition.slug == SLUG)) is not None:
        return False
    petitions.create(
        session,
        SLUG,
        TEXTS,
        goal=10_000,
        default_locale="kk",  # the list handed over, and any text missing, in Kazakh
        organiser_name=ORGANISER_NAME,
        organiser_contact=ORGANISER_CONTACT,
        by=CLI,
    )
    return True
