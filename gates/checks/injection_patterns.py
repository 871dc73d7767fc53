"""The phrases and markup the prompt-injection check looks for, as compiled patterns.

Kept apart from the scanning logic so the wording can be reviewed (and extended) on its own.
Every pattern is linear on hostile input: quantifiers over free text are bounded.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

_F = re.IGNORECASE


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), _F | re.MULTILINE)


_LINE_START = r"^[ \t>*#/-]*"  # a line's indent, quote marks, bullets or comment marks
_PRIOR = r"(?:previous|prior|above|earlier|preceding|original|initial|existing|system|old)"
_ORDERS = (
    r"(?:instructions?|prompts?|directions?|rules|guidelines|guidance|directives|commands|context"
    r"|orders|constraints|policies|messages)"
)
# ---- Other languages. The same requests in German, French, Spanish, Portuguese, Italian, Russian,
# Chinese, Japanese and Korean: the verbs and nouns an instruction is written with, never whole
# sentences. A phrase that starts with a short common word ("ne", "no", "non") spells its second
# word with a literal space, so the prefilter's word list can name both (see REQUEST_WORDS).
_ROMANCE_IGNORE = (
    r"(?:ignora|ignore[zr]|ignoren|ignorem|ignorate|olvida|olviden?|oublie[zr]?"
    r"|esque[çc]a|esquece|desconsidera|desconsidere|dimentica|dimentichi|omita|trascura)"
)
_ROMANCE_RULES = (
    r"(?:instrucciones|instructions|instru[çc][õo]es|istruzioni|indicaciones|indicazioni|consignes"
    r"|directives|directrices|diretrizes|direttive|orienta[çc][õo]es|r[èe]gles|reglas|regras"
    r"|regole|[óo]rdenes|ordres)"
)
_ROMANCE_PRIOR = (
    r"(?:anteriores|previas|pr[ée]vias|pr[ée]c[ée]dentes|ant[ée]rieures|precedenti|iniciales"
    r"|iniciais|initiales|iniziali|originales|originais|originali|ci-dessus|acima|sopra)"
)
_ROMANCE_YOUR = r"(?:tus|tes|vos|suas|sus|tue|sue|vostre|tuas)"
_RU_RULES = r"(?:инструкции|указания|правила|команды|установки|директивы)"
_OVERRIDE_I18N = (
    r"\b(?:ignorier(?:e|en\s+sie)?|vergiss|vergessen\s+sie|missachte)\s+(?:alle\s+)?"
    r"(?:(?:deine|ihre|die)\s+)?(?:vorherigen|bisherigen|fr[üu]heren|obigen|vorigen|vorangegangenen"
    r"|urspr[üu]nglichen)\s+(?:anweisungen|instruktionen|befehle|regeln|vorgaben|richtlinien)",
    r"\b(?:ignorier(?:e|en\s+sie)?|vergiss|missachte)\s+(?:alle\s+)?(?:deine|ihre)\s+"
    r"(?:anweisungen|instruktionen|regeln|richtlinien|vorgaben)",
    rf"\b{_ROMANCE_IGNORE}\s+(?:(?:todas|toutes|tous|tutte)\s+)?(?:(?:las|les|as|le|os)\s+)?"
    rf"{_ROMANCE_RULES}\s+{_ROMANCE_PRIOR}",
    # bare "ignore" (Portuguese, French) is English too: the next word is spelled with a literal
    # space, so the prefilter looks for "ignore todas", not for every "ignore" in English text
    rf"\bignore (?:todas|toutes|tous|as|les|os)\s+(?:(?:as|les|os)\s+)?"
    rf"(?:{_ROMANCE_RULES}\s+{_ROMANCE_PRIOR}|{_ROMANCE_YOUR}\s+{_ROMANCE_RULES})",
    rf"\bignore {_ROMANCE_YOUR}\s+{_ROMANCE_RULES}",
    rf"\b{_ROMANCE_IGNORE}\s+(?:(?:todas|toutes|tous|tutte)\s+)?(?:(?:as|le|les)\s+)?"
    rf"{_ROMANCE_YOUR}\s+{_ROMANCE_RULES}",
    r"(?:игнорируй|проигнорируй|забудь|не обращай внимания на)(?:те)?\s+(?:все\s+)?"
    rf"(?:(?:свои|твои|ваши|эти)\s+)?(?:предыдущие|прежние|прошлые|предшествующие|изначальные"
    rf"|исходные|вышеуказанные|старые)\s+{_RU_RULES}",
    rf"(?:игнорируй|проигнорируй|забудь)(?:те)?\s+(?:все\s+)?(?:свои|твои|ваши)\s+{_RU_RULES}",
    r"(?:忽略|无视|無視|忽视|忽視|忘记|忘記|忘掉|不要理会|不要理會)(?:掉)?(?:你)?(?:之前|以前|先前|上面|上述"
    r"|前面|原来|原來|原有|所有|全部|一切)(?:的)?(?:所有|全部|一切)?(?:的)?(?:指令|指示|提示词|提示|规则|規則"
    r"|说明|說明|要求|命令|设定|設定)",
    r"(?:以前|前|上記|これまで|先|元|最初)の(?:すべての|全ての|全部の)?(?:指示|命令|指令|ルール|プロンプト"
    r"|設定)(?:を|は)?(?:すべて|全て|全部)?(?:無視|忘れ)",
    r"(?:すべて|全て)の(?:以前の)?(?:指示|命令|指令|ルール)を(?:無視|忘れ)",
    r"(?:이전|앞|위|기존|원래|모든)(?:의)?\s*(?:모든\s*|이전\s*)?(?:지시|지침|명령|규칙|프롬프트|설정)"
    r"(?:사항)?(?:을|를|은|는)?\s*(?:모두\s*|전부\s*)?무시",
)
_ROMANCE_TARGETS = (
    r"(?:pr|pull[\s-]?request|merge[\s-]?request|demande\s+de\s+fusion|solicitud\s+de\s+\w+"
    r"|modifications?|changements?|cambios?|altera[çc][õo]es|mudan[çc]as|modifiche|modifica|commit)"
)
_APPROVAL_I18N = (
    r"\b(?:genehmige|genehmigen\s+sie|akzeptiere|akzeptieren\s+sie|gib)\s+(?:diesen|den|diese|die"
    r"|dieses|das)\s+(?:pr|pull[\s-]?request|merge[\s-]?request|[äa]nderungen?|commit)\b",
    r"\b(?:melde|melden\s+sie|erw[äa]hne|erw[äa]hnen\s+sie)\s+keine\b",
    r"\b(?:approuve[zr]?|valide[zr]|fusionne[zr]?|accepte[zr]?|aprueba|apruebe|aprobar|fusiona"
    r"|fusione|acepta|acepte|aprove|aprova|aprovar|aceite|aceita|mescle|approva|approvi|accetta"
    r"|accetti|unisci)\s+(?:cette|ce|ces|la|le|les|este|esta|estos|estas|el|los|las|esse|essa|o|a"
    rf"|os|as|questa|questo|queste|il)\s+{_ROMANCE_TARGETS}\b",
    r"\bne (?:signale|mentionne|rapporte|rel[èe]ve)[sz]?\s+(?:aucun|aucune|pas|rien)\b",
    r"\bno (?:reportes|informes|señales|senales|menciones|marques|indiques)\b",
    r"\bn[ãa]o (?:reporte|mencione|sinalize|aponte|informe|relate)\b",
    r"\bnon (?:segnalare|riportare|menzionare|indicare|segnalate)\b",
    r"(?:одобри|одобрите|утверди|утвердите|прими|примите|смерджи|смержи|влей|влейте)\s+"
    r"(?:(?:этот|этот|данный|это|эти)\s+)?(?:pr|пр|пулл?-?реквест|мерж-?реквест|merge[\s-]?request"
    r"|изменения|коммит)",
    r"не (?:сообщай|сообщайте|упоминай|упоминайте|указывай|указывайте|отмечай|помечай)",
    r"(?:批准|通过|通過|合并|合併|同意|接受)(?:这个|這個|此|该|該|本|这些|這些)(?:pr|合并请求|合併請求"
    r"|拉取请求|拉取請求|变更|變更|更改|提交)",
    r"(?:不要|无需|無需|不用|请勿|請勿)(?:报告|報告|指出|提及|标记|標記|提到|报|報)",
    r"(?:この|本|当該)(?:pr|プルリクエスト|プルリク|変更|マージリクエスト)を(?:承認|マージ|許可)",
    r"(?:報告|指摘|言及)(?:しないで|しない|するな)",
    r"(?:이|본|해당)\s*(?:pr|풀\s*리퀘스트|변경\s*사항|머지\s*리퀘스트)(?:을|를)\s*(?:승인|병합|머지)",
    r"(?:보고|지적|언급)하지\s*(?:마|말)",
)
_SECRET_STRONG_I18N = (
    r"\b(?:zeige|gib|nenne|verrate|drucke)\s+(?:mir\s+)?(?:deinen|den|deine|die)\s+"
    r"(?:system-?prompt|systemanweisungen|urspr[üu]nglichen\s+anweisungen)",
    r"\b(?:affiche|r[ée]v[èe]le|montre|imprime|muestra|revela|imprime|mostre|mostra"
    r"|revele|imprima|rivela|stampa|dimmi)[sz]?\s+(?:moi\s+)?(?:(?:ton|votre|le|tes|vos|tu|el|su"
    r"|tus|o|seu|teu|il|tuo|le|tue)\s+){0,3}(?:prompt\s+(?:syst[èe]me|du\s+syst[èe]me|del\s+sistema"
    r"|de\s+sistema|do\s+sistema|di\s+sistema|initial|inicial|iniziale)|instru[cç]\w+\s+(?:du\s+"
    r"syst[èe]me|del\s+sistema|do\s+sistema|di\s+sistema|initiales|iniciales|iniciais|iniziali"
    r"|cach[ée]es|ocultas|nascoste))",
    r"(?:покажи|выведи|раскрой|напечатай|повтори)(?:те)?\s+(?:(?:свой|твой|ваш|свои|твои)\s+)?"
    r"(?:системный\s+промпт|системные\s+инструкции|исходные\s+инструкции|системное\s+сообщение)",
    r"(?:输出|輸出|显示|顯示|打印|泄露|洩露|告诉我|告訴我|重复|重複|展示)(?:你的|一下)?(?:系统提示|系統提示"
    r"|系统指令|系統指令|初始指令|隐藏指令|隱藏指令)",
    r"システム(?:プロンプト|指示)を(?:表示|出力|教え|見せ|開示)",
    r"시스템\s*(?:프롬프트|지시|지침)(?:을|를)\s*(?:그대로\s*)?(?:출력|보여|알려|공개)",
)
_CREDENTIALS_I18N = (
    r"(?:variables?\s+d'environnement|variables?\s+de\s+entorno|vari[áa]veis\s+de\s+ambiente"
    r"|variabili\s+d'ambiente|umgebungsvariablen|github_token|api[\s_-]?(?:keys?|schl[üu]ssel)"
    r"|cl[ée]s?\s+d'api|claves?\s+(?:de\s+)?api|chaves?\s+de\s+api|chiavi\s+api|tokens?|\.env\b"
    r"|mots\s+de\s+passe|contrase[ñn]as|senhas|passw(?:or)?t|secretos|segredos|segreti"
    r"|geheimnisse|переменные\s+окружения|токены?|пароли|секреты|ключи\s+api)"
)
_SECRET_WEAK_I18N = (
    r"\b(?:zeige|drucke|affiche|montre|imprime|envoie|r[ée]v[èe]le|muestra"
    r"|env[íi]a|incluye|revela|mostre|imprima|envie|inclua|revele|mostra|stampa|invia|includi"
    rf"|rivela|покажи|выведи|отправь|раскрой|напечатай|пришли|покажите|выведите|отправьте)"
    rf"\s[^.\n]{{0,60}}?{_CREDENTIALS_I18N}",
    r"(?:环境变量|環境變數|密钥|密鑰|密码|密碼|令牌)[^。\n]{0,20}?(?:输出|輸出|显示|顯示|打印|发送|發送|列出|贴出)",
    r"(?:環境変数|パスワード|トークン|秘密鍵)[^。\n]{0,20}?(?:表示|出力|送信|教え|貼り)",
    r"(?:환경\s*변수|비밀번호|토큰|비밀\s*키)[^.\n]{0,20}?(?:출력|보여|전송|알려)",
)
_COMMAND_I18N = (
    r"\bf[üu]hre\s+(?:\w+\s+){0,3}?(?:befehle?|kommandos?|skripte?)\s+aus\b",
    r"\b(?:exécute[rz]?|execute[rz])\s+(?:\w+\s+){0,2}?(?:commandes?|scripts?)\s+suivante?s?",
    r"\b(?:ejecuta|ejecute|esegui|esegua)\s+(?:el|los|este|estos|il|i|questo|questi)\s+"
    r"(?:siguientes?\s+|seguenti\s+)?(?:comandos?|comandi|scripts?)",
    r"\bexecute (?:o|os|este|estes)\s+(?:seguintes?\s+)?(?:comandos?|scripts?)",
    r"(?:выполни|запусти)(?:те)?\s+(?:эту|эти|следующую|следующие|этот)\s+(?:команд[уы]|скрипт)",
    r"(?:运行|運行|执行|執行)(?:以下|下面|这个|這個|这条|這條)(?:的)?(?:命令|脚本|腳本|代码|代碼)",
    r"(?:次の|以下の)(?:コマンド|スクリプト)を実行",
    r"(?:다음|아래)(?:의)?\s*(?:명령|명령어|스크립트)(?:을|를)\s*실행",
)

_OVERRIDE_EN = (
    rf"\b(?:ignore|disregard|forget|override|bypass|discard)\s+(?:all\s+|any\s+)?(?:of\s+)?"
    rf"(?:the\s+|your\s+|my\s+|these\s+|those\s+)?{_PRIOR}\s+{_ORDERS}",
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:the\s+|your\s+)?"
    r"(?:system\s+prompt|system\s+message|safety\s+(?:rules|guidelines|instructions)"
    r"|your\s+instructions|your\s+guidelines|your\s+programming)",
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+)?your\s+"
    r"(?:instructions|guidelines|programming|rules|training)",
    r"\b(?:forget|ignore|disregard)\s+(?:everything|all|anything)\s+(?:you\s+(?:were|have\s+been)"
    r"\s+told|(?:written\s+|said\s+|stated\s+)?(?:above|so\s+far)|(?:said|written)\s+previously)",
    r"\byou\s+are\s+now\s+(?:DAN\b|in\s+(?:developer|god|jailbreak|unrestricted|admin|sudo)\s+mode"
    r"|an?\s+(?:unrestricted|unfiltered|jailbroken|uncensored))",
    r"\b(?:enter|enable|activate|switch\s+to)\s+(?:developer|DAN|jailbreak|god)\s+mode",
    r"\bdo\s+anything\s+now\b",
    _LINE_START + r"(?:new|updated|real|actual|revised)\s+(?:system\s+)?instructions\s*:",
    r"<\|im_start\|>\s*system",
)
OVERRIDE = _rx(*_OVERRIDE_EN, *_OVERRIDE_I18N)
_TARGETS = (
    r"(?:(?:the|this|that|these|every|all|any|my|our)\s+)?"
    r"(?:prs?|pull\s+requests?|merge\s+requests?|changes?|diffs?|patch(?:es)?|commits?)"
)
_APPROVAL_EN = (
    rf"\b(?:approve|merge|accept|lgtm|sign\s+off\s+on|auto-?merge)\s+{_TARGETS}\b",
    rf"\bmark\s+{_TARGETS}\s+as\s+(?:approved|safe|reviewed)",
    r"\b(?:respond|reply|answer|comment)\s+(?:only\s+)?with\s+[\"'“`]?(?:LGTM|approved?)\b",
    r"\b(?:do\s+not|don't|never)\s+(?:flag|report|mention|comment\s+on|point\s+out|warn\s+about)"
    r"\b[^.\n]{0,60}?\b(?:issues?|problems?|vulnerabilit\w+|security|findings?|this|it|calls?"
    r"|code|changes?|lines?|functions?|risks?|eval|exec|requests?)\b",
    r"\b(?:is|has\s+been)\s+(?:pre-?approved|already\s+(?:reviewed|approved|audited))\b",
    r"\bhas\s+been\s+(?:audited|reviewed|approved|vetted)\s+already\b",
    r"\b(?:skip|bypass)\s+(?:the\s+|any\s+)?(?:security\s+|code\s+)?(?:review|audit)\b",
    r"\btreat\s+(?:this|it|these|the)\s+(?:\w+\s+)?as\s+(?:already\s+)?"
    r"(?:audited|approved|reviewed|safe|trusted|vetted)\b",
)
APPROVAL = _rx(*_APPROVAL_EN, *_APPROVAL_I18N)
_CREDENTIAL_NOUNS = (
    r"(?:secrets?|tokens?|api[\s_-]?keys?|credentials|passwords?|env(?:ironment)?\s+var(?:iable)?s?"
    r"|\.env\b|GITHUB_TOKEN|private\s+keys?|ssh\s+keys?|access\s+keys?)"
)
_SECRET_STRONG_EN = (
    r"\b(?:reveal|print|output|show|display|dump|repeat|leak|share|tell\s+me)\s+(?:me\s+)?"
    r"(?:your|the)\s+(?:full\s+|entire\s+|original\s+)?(?:system\s+prompt|initial\s+prompt"
    r"|hidden\s+instructions|initial\s+instructions)",
    rf"\b(?:send|post|upload|exfiltrate|leak|forward|transmit)\s+(?:all\s+|any\s+|the\s+|your\s+)*"
    rf"(?:\w+\s+)?{_CREDENTIAL_NOUNS}[^.\n]{{0,60}}\bto\s+(?:https?://|\S+@|http|the\s+url|this\s+url)",
    r"\b(?:curl|wget)\b[^\n|]{0,200}?\$\{?\w*(?:TOKEN|SECRET|API_KEY|PASSWORD)\w*",
)
SECRET_STRONG = _rx(*_SECRET_STRONG_EN, *_SECRET_STRONG_I18N)
_SECRET_WEAK_EN = (
    rf"\b(?:reveal|print|output|show|display|dump|leak|send|post|upload|share|echo|include|paste|"
    r"list|tell\s+me)\s+(?:me\s+)?(?:all\s+|any\s+|the\s+|your\s+|every\s+)*"
    rf"(?:\w+\s+(?:of\s+(?:the\s+|your\s+|all\s+)?)?)?{_CREDENTIAL_NOUNS}",
)
SECRET_WEAK = _rx(*_SECRET_WEAK_EN, *_SECRET_WEAK_I18N)
_COMMAND_EN = (
    r"\b(?:curl|wget)\s+[^\n|;]{0,300}\|\s*(?:sudo\s+)?(?:ba|z)?sh\b",
    r"\b(?:run|execute)\s+(?:the\s+following|this|these)\s+(?:shell\s+)?(?:commands?|scripts?|code)",
    r"\b(?:run|execute)\s+`[^`\n]{1,200}`",
    r"\b(?:open\s+a\s+)?reverse\s+shell\b",
)
COMMAND = _rx(*_COMMAND_EN, *_COMMAND_I18N)
_AI_NAME = (
    r"(?:AI|A\.I\.|LLMs?|GPTs?(?:-?\d\w*)?|ChatGPT|Copilot|Claude|Gemini|Codex|Devin|Bard"
    r"|(?:large\s+)?language\s+models?|(?:AI|LLM|coding|autonomous|review)(?:[\s-]+\w+)??[\s-]+"
    r"(?:agents?|assistants?|reviewers?|models?|bots?|tools?)|assistants?|automated\s+reviewers?"
    r"|chat\s*bots?|agents?)"
)
# "KI-Assistent", "l'IA", "asistente de IA", "Sprachmodell" ...
_AI_NAME_I18N = (
    r"(?:\b(?:KI|IA)\b(?:-\w+)?|\b(?:assistente?|asistente|assistant|agente?)\s+"
    r"(?:de\s+|d'|di\s+)?(?:IA|KI)\b|\bsprachmodell|\bmod[èe]le\s+de\s+langage"
    r"|\bmodelo\s+de\s+(?:lenguaje|linguagem)|\bmodello\s+linguistico)"
)
# ... and in other alphabets: "ии-ревьюер", "нейросеть". Patterns that may start with a letter
# outside Latin-1 are kept apart (the *_WIDE ones) and searched only in text that has one:
# Python's re skips quickly to a possible first letter only while every start is narrow.
_AI_NAME_CYRILLIC = (
    r"(?:\bии\b(?:-\w+)?|\b(?:ассистент|агент|бот|модель)\s+ии\b|\bнейросеть"  # noqa: RUF001
    r"|\bязыковая\s+модель)"  # noqa: RUF001
)
# CJK and Korean write the role word right after the name ("AI助手", "AIレビュアーへ"), and may
# close the address with a full-width colon.
_AI_NAME_CJK = (
    r"(?:(?<![a-z0-9_])(?:AI|LLM)(?=\s?[^\x00-\x7f])|人工智能|人工知能|인공지능"
    r"|大语言模型|大語言模型|大模型|言語モデル|언어\s*모델)"
)
# An AI mentioned anywhere (enough inside hidden text) ...
AI = _rx(
    r"\b(?:AI|A\.I\.|LLMs?|GPTs?(?:-?\d\w*)?|ChatGPT|Copilot|Claude|Gemini|Codex|Devin|Bard)\b",
    _AI_NAME_I18N,
    r"\b(?:language\s+model|AI\s+(?:agent|assistant|reviewer|model)s?|coding\s+agents?"
    r"|autonomous\s+agents?|assistants?|review\s+bots?|automated\s+reviewers?|chat\s*bots?)\b",
    r"\bagents?(?=\s*[:,]|\s+(?:reading|reviewing|working|processing|analy[sz]ing))",
)
# ... and an AI addressed: "Copilot, ...", "AI reviewer: ...", "Note for the agent", "If you are
# an LLM", "agents reading this", "Claude should ...". Visible requests need the latter.
AI_ADDRESS = _rx(
    rf"\b{_AI_NAME}\s*[:,]",
    rf"\b(?:dear|hey|hi|hello|attention|note\s+(?:to|for)|to|for|if\s+you\s+are)"
    rf"(?:\s+(?:the|any|all|an?))?\s+{_AI_NAME}\b",
    rf"\b{_AI_NAME}\s+(?:reading|reviewing|working\s+on|processing|analy[sz]ing)\b",
    rf"\b{_AI_NAME}\s+(?:should|must|shall|needs?\s+to|has\s+to)\b",
    r"@[\w-]*(?:ai|bot|gpt|copilot|claude|agent)[\w-]*\b",
    _AI_NAME_I18N + r"\s*[:,]",
)
AI_WIDE = _rx(_AI_NAME_CYRILLIC, _AI_NAME_CJK + r"(?![a-z])")
AI_ADDRESS_WIDE = _rx(_AI_NAME_CYRILLIC + r"\s*[:,]", _AI_NAME_CJK + r"[\w \-]{0,12}?\s*[:\uff1a]")
# A letter of the alphabets the *_WIDE patterns start with.
WIDE = re.compile(
    r"[\u0400-\u04ff\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af]"
)
IMPERATIVE = _rx(
    r"\b(?:must|should|please|do\s+not|don't|never|always|ignore|approve|merge|run|execute|say"
    r"|respond|reply|tell|write|add|remove|delete|include|output|print|send|instead|make\s+sure"
    r"|recommend|describe|summari[sz]e|rate|mention|praise|claim|state|treat|pretend|act\s+as"
    r"|answer|report|call|use|install|prefer)\b"
)
DISCUSSION = _rx(
    r"\be\.\s?g\.|\bi\.\s?e\.|\bsuch\s+as\b|\bfor\s+(?:example|instance)\b|\bexamples?\b",
    r"\battack(?:er|ers|s)?\b|\badversar\w*|\bmalicious\b|\bdetect\w*|\binjection\b",
    r"\b(?:requests?|asks?|asking)\s+(?:(?:an?|the)\s+\w+\s+)?to\b",
    r"\bjailbreaks?\b|\b(?:phrases?|strings?|patterns?|payloads?|text)\s+like\b|\bwatch\s+(?:out\s+)?for\b",
    r"\bzum\s+beispiel\b|\bz\.\s?b\.|\bpar\s+exemple\b|\bpor\s+(?:ejemplo|exemplo)\b"
    r"|\bper\s+esempio\b",
)
DISCUSSION_WIDE = _rx(r"\bнапример\b|例如|比如|例えば|예를\s*들어")  # noqa: RUF001
# "never share your token", "the bot can approve the PR": statements, not requests.
NOT_A_REQUEST = re.compile(
    r"\b(?:never|not|n't|no\s+one|nobody|can|cannot|will|may|could|would|might|must\s+not)\s+$",
    _F,
)
RST_COMMENT = re.compile(r"^\.\.[ \t]+(?![\w:-]+::|_|\[|\|).*(?:\n[ \t]+\S.*)*", re.M)
URLISH = re.compile(r"\b[a-z][\w+.-]{0,20}://\S+|(?<![\w.-])[\w-]{1,63}(?:\.[\w-]{1,63})+", _F)
QUOTES = "\"'`\u201c\u201d\u2018\u2019\u00ab\u00bb"  # straight, curly and angle quotes
FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)[^\n]*\n.*?(?:^[ \t]{0,3}\1[^\n]*$|\Z)", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]{1,500}`")
# Hidden-text patterns are linear: an unclosed comment runs to the end of the file in one match,
# and elements are found tag by tag (below), never by a regex spanning from a tag to its close.
HIDDEN = (
    re.compile(r"<!--.*?(?:-->|\Z)", re.S),
    re.compile(r"^\[[^\]\n]*\]:\s*(?:#|<>)\s*[(\"'].*$", re.M),
)
OPEN_TAG = re.compile(r"<([A-Za-z][\w-]*)\b([^<>]{0,2000})>")
CLOSE_TAG = re.compile(r"</([A-Za-z][\w-]*)\s*>")
INVISIBLE = re.compile(
    r"\bstyle\s*=\s*[\"'][^\"']*(?:display\s*:\s*none|visibility\s*:\s*hidden"
    r"|font-size\s*:\s*0(?![.\d]*[1-9])|opacity\s*:\s*0(?![.\d]*[1-9])|(?<!-)color\s*:\s*"
    r"(?:white|#fff\b|#ffffff|rgba?\(\s*255\s*,\s*255\s*,\s*255)|(?:max-)?height\s*:\s*0(?:px)?\b)"
    r"|(?:^|\s)hidden(?:\s*=|\s|$)"
    # moved out of sight, clipped to nothing, transparent, hidden from everyone but screen readers
    r"|\bstyle\s*=\s*[\"'][^\"']*(?:(?<![\w-])(?:left|top|right|margin-left|text-indent)\s*:\s*"
    r"-\d{3,}|(?<!-)color\s*:\s*transparent|clip\s*:\s*rect\(\s*0[\s,px]+0[\s,px]+0[\s,px]+0"
    r"|clip-path\s*:\s*inset\(\s*(?:50|100)%|transform\s*:\s*scale\(\s*0\s*\)"
    r"|(?:max-)?width\s*:\s*0(?:px)?(?![.\d]))"
    r"|\baria-hidden\s*=\s*[\"']?true"
    r"|\bclass\s*=\s*[\"'][^\"']*\b(?:sr-only|visually-?hidden|screen-reader-text|hidden)\b",
    _F,
)
# The colour and background of a style attribute, to tell text painted in its background's colour.
BACKGROUND = re.compile(r"background", _F)  # in every style that paints a colour behind text
STYLE = re.compile(r"\bstyle\s*=\s*(\"[^\"]*\"|'[^']*')", _F)
STYLE_COLOUR = re.compile(r"(?<![\w-])(background(?:-color)?|color)\s*:\s*([^;\"']+)", _F)
# Text a reader of the rendered page does not see: Markdown image alt text, link and image titles
# (a tooltip at most), reference-link titles, and HTML attributes that hold text (alt, title,
# aria-label, data-*). Group 1 is the text.
MD_ALT = re.compile(r"!\[([^\]\n]{1,500})\][(\[]")
MD_TITLE = re.compile(
    r"\]\([ \t]*<?[^\s()<>]{0,2000}>?[ \t]+"
    r"(\"[^\"\n]{1,500}\"|'[^'\n]{1,500}'|\([^()\n]{1,500}\))[ \t]*\)"
)
MD_REF_TITLE = re.compile(
    r"^[ \t]{0,3}\[[^\]\n]{1,200}\]:[ \t]*<?\S{1,2000}?>?[ \t]+"
    r"(\"[^\"\n]{1,500}\"|'[^'\n]{1,500}'|\([^()\n]{1,500}\))[ \t]*$",
    re.M,
)
# Each with a literal that every match holds, so a file without it is not searched.
HIDDEN_GUARDED = ((HIDDEN[0], "<!--"), (HIDDEN[1], "]:"))
MARKUP_TEXT = ((MD_ALT, "!["), (MD_TITLE, "]("), (MD_REF_TITLE, "]:"))
TEXT_ATTR = re.compile(
    r"(?:^|\s)(?:alt|title|aria-label|aria-description|data-[\w-]{1,40})\s*=\s*"
    r"(\"[^\"]{1,2000}\"|'[^']{1,2000}')",
    _F,
)
# A test file that discusses injection (a detector's tests, an attack corpus) holds the phrases as
# data; one that does not is read like any other code (agents read tests too).
DISCUSSES_INJECTION = re.compile(r"inject|jailbreak", _F)
OPEN_ATTR = re.compile(r"(?:^|\s)open(?:\s*=|\s|$)", _F)
TEST_FILE = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.py$|_test\.py$|(^|/)conftest\.py$")


def _lower_literals(pattern: str) -> str:
    """The pattern's letters in lower case, escapes (`\\S`, `\\W`) untouched."""
    return re.sub(
        r"\\.|[A-Z]", lambda m: m.group() if len(m.group()) == 2 else m.group().lower(), pattern
    )


# Python's re skips ahead to a possible first character only in case-sensitive patterns, so the
# hot patterns also exist in a case-sensitive form for text lowercased once: twice as fast.
# Compiled on first use: every run imports this module, few have text to search.
_HOT = (
    *(OVERRIDE, APPROVAL, SECRET_STRONG, SECRET_WEAK, COMMAND, AI_ADDRESS, DISCUSSION, URLISH),
    *(AI_ADDRESS_WIDE, DISCUSSION_WIDE),
)


_FOLDABLE: set[re.Pattern[str]] = set(_HOT)  # and the halves of rule_patterns, once compiled


@functools.cache
def _folded(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    if pattern not in _FOLDABLE:
        return None
    return re.compile(_lower_literals(pattern.pattern), pattern.flags & ~re.IGNORECASE)


# The word every match of a request pattern (OVERRIDE ... COMMAND) starts with, lower case:
# one list for the English phrases, one for the other languages, each complete for its half.
# tests/checks/test_injection_patterns.py proves both lists from the patterns themselves.
REQUEST_WORDS = (
    *("ignore", "disregard", "forget", "override", "bypass", "discard", "you", "enter", "enable"),
    *("activate", "switch", "do", "new", "updated", "real", "actual", "revised", "<|im_start|>"),
    *("approve", "merge", "accept", "lgtm", "sign", "auto", "mark", "respond", "reply", "answer"),
    *("comment", "never", "is", "has", "reveal", "print", "output", "show", "display", "dump"),
    *("repeat", "leak", "share", "tell", "send", "post", "upload", "exfiltrate", "forward"),
    *("transmit", "curl", "wget", "echo", "include", "paste", "list", "run", "execute", "open"),
    *("reverse", "skip", "treat"),
)
# Other languages: first words; in Chinese, Japanese and Korean the first characters. A word
# outside the text's alphabet costs nothing: `str.find` of a wider character returns at once.
REQUEST_WORDS_I18N = (
    *("accepte", "accett", "aceit", "acept", "affiche", "akzeptiere", "approuve"),
    *("approv", "aprobar", "aprov", "aprueb", "desconsider", "dimentic", "dimmi"),
    *("drucke", "ejecut", "envia", "envie", "envoie", "envía", "erwahne", "erwähne"),
    *("esegu", "esquec", "esqueça", "execute ", "executer", "executez", "exécute"),
    *("fuhre", "fusion", "führe", "genehmige", "gib", "ignora", "ignore ", "ignorem"),
    *("ignoren", "ignorer", "ignorez", "ignorier", "imprim", "inclua", "includi"),
    *("incluye", "invia", "melde", "mescle", "missachte", "montre", "mostr", "muestr"),
    *("nao ", "ne mentionne", "ne rapporte", "ne releve", "ne relève", "ne signale"),
    *("nenne", "no indiques", "no informes", "no marques", "no menciones", "no reportes"),
    *("no senales", "no señales", "non indicare", "non menzionare", "non riportare"),
    *("non segnalare", "non segnalate", "não ", "olvid", "omita", "oublie", "revel"),
    *("revèle", "rivela", "révele", "révèle", "stampa", "trascura", "unisci", "valider"),
    *("validez", "vergessen", "vergiss", "verrate", "zeige", "влей", "выведи", "выполни"),
    *("забудь", "запусти", "игнорируй", "напечатай", "не обращай", "не отмечай"),
    *("не помечай", "не сообщай", "не указывай", "не упоминай", "одобри", "отправь"),
    *("повтори", "покажи", "прими", "пришли", "проигнорируй", "раскрой", "смерджи"),
    *("смержи", "утверди", "この", "これ", "すべ", "シス", "トー", "パス", "上記"),
    *("不用", "不要", "令牌", "以下", "以前", "元の", "先の", "全て", "前の", "合併"),
    *("合并", "同意", "告訴", "告诉", "執行", "報告", "密码", "密碼", "密鑰", "密钥"),
    *("展示", "当該", "忘掉", "忘記", "忘记", "忽略", "忽視", "忽视", "打印", "执行"),
    *("批准", "指摘", "接受", "无视", "无需", "显示", "最初", "本p", "本プ", "本マ"),
    *("本変", "次の", "泄露", "洩露", "無視", "無需", "环境", "環境", "秘密", "言及"),
    *("請勿", "请勿", "輸出", "输出", "运行", "通过", "通過", "運行", "重复", "重複"),
    *("顯示", "기존", "다음", "모든", "보고", "본", "비밀", "시스", "아래", "앞", "언급"),
    *("원래", "위", "이", "지적", "토큰", "해당", "환경"),
)
_REQUESTS_EN = (_OVERRIDE_EN, _APPROVAL_EN, _SECRET_STRONG_EN, _SECRET_WEAK_EN, _COMMAND_EN)
_REQUESTS_I18N = (
    _OVERRIDE_I18N,
    _APPROVAL_I18N,
    _SECRET_STRONG_I18N,
    _SECRET_WEAK_I18N,
    _COMMAND_I18N,
)
_RULES = (
    "instruction-override",
    "agent-approval-request",
    "secret-exfiltration-request",
    "secret-exfiltration-request",
    "command-execution-request",
)


def _union(groups: tuple[tuple[str, ...], ...]) -> re.Pattern[str]:
    """Patterns in one, for lower-cased text, and loosened so that what matches in a piece of a
    file also matches in the whole file: a line start is not required (in a Python string the
    phrase follows the quote, in a comment the code)."""
    parts = [_lower_literals(part).replace(_LINE_START, "") for group in groups for part in group]
    return re.compile("|".join(f"(?:{p})" for p in parts), re.MULTILINE)


@functools.cache
def _any_request() -> re.Pattern[str]:
    return _union(_REQUESTS_EN)


@functools.cache
def _any_request_i18n() -> re.Pattern[str]:
    return _union(_REQUESTS_I18N)


def _found(lowered: str, words: tuple[str, ...], pattern: re.Pattern[str]) -> bool:
    for word in words:
        at = lowered.find(word)
        while at >= 0:
            if pattern.match(lowered, at):
                return True
            at = lowered.find(word, at + 1)
    return False


def may_request(lowered: str) -> bool:
    """Whether a request pattern could match somewhere in this lower-cased text.

    Python's re tries every position of a text for a pattern that starts with `\\b` (6 s on
    sqlalchemy's 24 MB); finding the first words with `str.find` and trying the patterns only
    there is ten times faster, and as exact: every match starts with one of the listed words.
    Each half is tried only with its own words: a hit of "is" or "do" (thousands in a big file)
    then costs a match of the English patterns alone.
    """
    words = words_of(lowered)
    return may_request_i18n(lowered, words) or may_request_english(lowered, words)


def may_request_english(lowered: str, words: frozenset[str] | None = None) -> bool:
    """Whether an English request pattern could match somewhere in this lower-cased text."""
    present = _present(words_of(lowered) if words is None else words, _EN_AT_WORD_START)
    return _found(lowered, present + _EN_ANYWHERE, _any_request())


def may_request_i18n(lowered: str, words: frozenset[str] | None = None) -> bool:
    """Whether a request in another language could match somewhere in this lower-cased text.

    Each `str.find` reads the whole text, so only the words that can be there are looked for:
    the ASCII ones that begin a word of the text, and those of the scripts the text uses (one
    search for any letter of a script decides for all of its words).
    """
    present = _present(words_of(lowered) if words is None else words, _I18N_ASCII_WORDS)
    if not lowered.isascii():
        present += tuple(
            w for script, group in _i18n_scripts() if script.search(lowered) for w in group
        )
    return _found(lowered, present, _any_request_i18n())


_LETTERS = re.compile(r"[a-z]+")


_NOT_A_LETTER = {i: " " for i in range(128) if not chr(i).isalpha()}


def words_of(lowered: str) -> frozenset[str]:
    """The text's words (runs of ASCII letters), collected in one pass for both halves. In an
    ASCII text, blanking every other character and splitting does it twice as fast."""
    if lowered.isascii():
        return frozenset(lowered.translate(_NOT_A_LETTER).split())
    return frozenset(_LETTERS.findall(lowered))


def _present(words: frozenset[str], listed: tuple[str, ...]) -> tuple[str, ...]:
    """The listed words whose first word begins one of the text's words. Their patterns open
    with `\\b`, so a match needs them at the start of a word: one pass collecting the text's
    words replaces a `str.find` through the whole text per listed word (those finds were most
    of this check's time). Heads are indexed by their first two letters, so each distinct word
    of the text costs one lookup."""
    index = _heads(listed)
    present: set[str] = set()
    for token in words:
        for head, word in index.get(token[:2], ()):
            if token.startswith(head):
                present.add(word)
    return tuple(w for w in listed if w in present)


@functools.cache
def _heads(words: tuple[str, ...]) -> dict[str, tuple[tuple[str, str], ...]]:
    """First two letters -> (first word, listed word) of the words that start with them."""
    index: dict[str, list[tuple[str, str]]] = {}
    for word in words:
        head = word.split(" ", 1)[0]
        index.setdefault(head[:2], []).append((head, word))
    return {key: tuple(pairs) for key, pairs in index.items()}


# English words whose pattern does not need a word start: the line-start phrases ("new
# instructions:" follows a quote or a comment mark) and the chat-template marker.
_EN_ANYWHERE = ("new", "updated", "real", "actual", "revised", "<|im_start|>")
_EN_AT_WORD_START = tuple(w for w in REQUEST_WORDS if w not in _EN_ANYWHERE)
_I18N_ASCII_WORDS = tuple(w for w in REQUEST_WORDS_I18N if w.isascii())
_SCRIPTS = (
    "[\u00c0-\u024f]",  # Latin letters with accents
    "[\u0400-\u04ff]",  # Cyrillic
    "[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]",  # kana and CJK ideographs
    "[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]",  # Hangul
)


@functools.cache
def _i18n_scripts() -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    """(a letter of the script, the words holding one) for each script of the list."""
    groups = []
    for script in map(re.compile, _SCRIPTS):
        words = tuple(w for w in REQUEST_WORDS_I18N if not w.isascii() and script.search(w))
        groups.append((script, words))
    return tuple(groups)


@functools.cache
def rule_patterns(i18n: bool) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(rule, pattern) for the English half or the other languages' half, compiled on first use
    (a segment without a word of another language never needs the second half)."""
    groups = _REQUESTS_I18N if i18n else _REQUESTS_EN
    compiled = tuple((rule, _rx(*group)) for rule, group in zip(_RULES, groups, strict=True))
    _FOLDABLE.update(rx for _, rx in compiled)
    return compiled


def fold(text: str) -> str | None:
    """The text in lower case when that keeps every offset; None otherwise. U+0130 (Turkish
    dotted I) lower-cases to two characters, so it becomes `i`, as `re.IGNORECASE` reads it:
    a Turkish name in a big data file no longer sends the whole file down the slow path."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = text.replace("\u0130", "i").lower()
    return lowered if len(lowered) == len(text) else None


def searcher(
    pattern: re.Pattern[str], text: str, lowered: str | None
) -> tuple[re.Pattern[str], str]:
    """The pattern and the text to search instead of `pattern` on `text`: the folded pair when
    there is one. Offsets are the same either way."""
    folded = _folded(pattern)
    if lowered is None or folded is None:
        return pattern, text
    return folded, lowered


def finditer(pattern: re.Pattern[str], text: str, lowered: str | None) -> Iterator[re.Match[str]]:
    rx, source = searcher(pattern, text, lowered)
    return rx.finditer(source)
