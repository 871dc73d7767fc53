"""The directives an instruction file must not give an agent, as patterns over its sentences.

An AGENTS.md is nothing but instructions, so "run the tests" or "never push to main" is the
normal content. What is reported is an instruction to take the shortcut the project's gates exist
to stop: skip or delete tests, silence hooks and checks, push or merge past review, or send
secrets out. Most patterns are plain verbs ("push to main") that a negation before them ("never",
"do not", "不要") or a ban after them ("is not allowed") turns into a rule the project keeps;
those are `negatable`. A few carry their own negation ("don't run the tests") and are not.

English first; the common phrasings in German, French, Spanish, Portuguese, Chinese and Japanese
are covered for the shortcuts agents are most often told to take.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gates.checks.agent_config_hits import (
    DISABLE_CHECKS,
    EXFILTRATION,
    PROTECTED_BRANCH,
    SKIP_TESTS,
)

_F = re.IGNORECASE


@dataclass(frozen=True)
class Directive:
    rule: str
    pattern: re.Pattern[str]
    why: str
    negatable: bool = True
    needs: re.Pattern[str] | None = None  # the sentence must also match this
    unless: re.Pattern[str] | None = None  # ... and must not match this
    # Each of these must occur in the BEFORE characters ahead of the match: a cheap way to say
    # "a curl with a request body before this secret" without a regex scanning from every curl.
    before: tuple[re.Pattern[str], ...] = ()
    # The match is not an order when the text just before or after it says so: "on push to
    # main", "push to main -> deploy" name a CI event, not something to do.
    not_before: re.Pattern[str] | None = None
    not_after: re.Pattern[str] | None = None


BEFORE = 300


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), _F)


_Q = r"[`'\"]?"  # a quote or code span around a name
_PROTECTED = rf"{_Q}(?:origin/)?(?:main|master|trunk|production|prod)\b{_Q}(?![/-])"
_NOT_A_BRANCH = r"(?!\s+(?:repo|repository|remote|fork|project|site|page|docs|module|package))"
_TESTS = r"(?:unit\s+)?(?:tests?|test\s+suite|specs?)\b"
_BROKEN = r"(?:failing|broken|flaky|red|problematic)"
# What a test does that a shortcut answers by dropping it: "if a test is flaky, delete it".
_TROUBLE = (
    r"fail\w*|flak\w*|broken|breaks?|red|times?\s+out|hangs?|(?:does\s+not|doesn'?t|won'?t)\s+pass"
    r"|not\s+passing"
)
_LOWER = r"(?:lower|reduce|decrease|drop|relax|loosen)"
# A coverage floor by its config names: pytest-cov, coverage.py, tox/CI spellings.
_COVERAGE_LIMIT = (
    r"fail_under|fail-under|--cov-fail-under|--fail-under|min(?:imum)?[_-]coverage"
    r"|minimum\s+coverage|coverage\s+(?:minimum|floor)"
)
_DROP_VERB = r"delet(?:e|ing)|remov(?:e|ing)|skip(?:ping)?|disabl(?:e|ing)|xfail|drop(?:ping)?"
_SKIP_MARKER = (
    r"(?:pytest\.mark\.(?:skip|xfail)\b|unittest\.skip\b|\bxit\b|\bxdescribe\b|\b(?:it|test|describe)"
    r"\.skip\(|@Disabled\b|@Ignore\b|\bt\.Skip\(|#\[ignore\])"
)
_FAILING = re.compile(
    r"\bfail\w*|\bbroken\b|\bflaky\b|\bgreen\b|\bred\b|\bpass(?:es|ing)?\b|\bblock\w*", _F
)
_SUPPRESS = (
    r"(?:#\s*type:\s*ignore|#\s*noqa|#\s*nosec|#\s*pragma:\s*no\s*cover|eslint-disable|@ts-ignore"
    r"|@ts-nocheck|@ts-expect-error|//\s*nolint|@SuppressWarnings|#\[allow\()"
)
_COMPLAINS = re.compile(
    r"\b(?:errors?|complain\w*|fail\w*|warnings?|red|silence|quiet|make\s+\w+\s+pass|flag\w*"
    r"|trips?|yells?|stays?\s+green|goes\s+green)\b",
    _F,
)
_DOCS_ONLY = re.compile(r"\b(?:docs?|documentation|readme|typos?|changelog|comments?)\b", _F)
_SENSITIVE = (
    r"(?:\.env\b|env(?:ironment)?\s+var(?:iable)?s|secrets?\b|tokens?\b|(?:GITHUB|GH|NPM|AWS|PYPI"
    r"|OPENAI|ANTHROPIC|SLACK|STRIPE)_\w+|api[\s_-]?keys?|credentials|passwords?|ssh\s+keys?"
    r"|private\s+keys?|~/\.ssh|\.ssh/|\.aws/|\.npmrc|\.pypirc|\.netrc|id_rsa|id_ed25519)"
)
_SENSITIVE_FILE = (
    r"\S*(?:\.env\b|\.ssh/|\.aws/|id_rsa|id_ed25519|credentials|\.npmrc|\.pypirc|\.netrc"
    r"|\.kube/config)"
)
_SENSITIVE_VAR = r"\$\{?\w*(?:TOKEN|SECRET|KEY|PASSWORD|PASSWD|CREDENTIAL|AUTH|_PAT)\w*\}?"
_DESTINATION = re.compile(
    r"\b(?:to|at|into|an|à|a|para|到|至)\s+(?:the\s+|our\s+|this\s+|a\s+)?(?:https?://|[\w-]+(?:\.[\w-]+)+"
    r"|[\w.+-]+@|webhook|url|endpoint|server|pastebin|gist|channel|slack)",
    _F,
)

_PUSH_EVENT_BEFORE = re.compile(
    r"(?:\b(?:on|every|each|a|an|after|upon|per|any|the|first|next|when|whenever)\s+"
    r"(?:(?:direct|new|single|git|every)\s+)?|[+|/&>\u2192]\s*"
    r"|\b(?:prs?|pull\s+requests?|merges?|tags?)\s+(?:or|and|&)\s+)$",
    _F,
)
_PUSH_EVENT_AFTER = re.compile(
    r"\s*(?:branch\s*)?(?:\u2192|->|=>|\||\b(?:triggers?|deploys?|runs?|starts?|publish\w*"
    r"|builds?|will|is|are|fires?|kicks?|events?|workflows?|only)\b)",
    _F,
)

DIRECTIVES: tuple[Directive, ...] = (
    # -- skip tests
    Directive(
        SKIP_TESTS,
        _rx(
            rf"\b(?:skip|bypass|ignore|disable)\s+(?:running\s+)?(?:the\s+|all\s+(?:the\s+)?|any\s+"
            rf"|{_BROKEN}\s+)*{_TESTS}(?!\s+(?:marked|tagged|that\s+need|requiring|with\s+-m))",
            rf"\b(?:delete|remove|comment\s+out|drop|disable)\s+(?:the\s+|any\s+|those\s+|that\s+)?"
            rf"{_BROKEN}\s+{_TESTS}",
            rf"\b(?:delete|remove|comment\s+out|disable|drop)\s+(?:the\s+|that\s+|any\s+|every\s+"
            rf"|all\s+)?(?:unit\s+)?tests?\s+(?:if|when|whenever|that|which)\s+(?:it\s+|they\s+)?"
            rf"(?:keeps?\s+|still\s+|is\s+|are\s+)?(?:{_TROUBLE})",
            rf"{_BROKEN}\s+{_TESTS}[^.;\n]{{0,40}}\b(?:just\s+|simply\s+)?(?:{_DROP_VERB})\s+(?:it|them)\b",
            r"\b(?:delete|remove|comment\s+out|drop)\s+(?:the\s+|any\s+)?(?:failing|broken)\s+"
            r"assert(?:ions?|s)?\b",
            r"\b(?:delete|remove|comment\s+out|drop)\s+(?:the\s+|any\s+)?assert(?:ions?|s)?\b"
            r"(?=[^.;\n]{0,60}\b(?:fail\w*|broken|red|flaky|pass\w*))",
            r"\b(?:überspring\w*|ignorier\w*|deaktivier\w*|lösch\w*)\b[^.\n]{0,30}\btests?\b",
            r"\btests?\b[^.\n]{0,30}\b(?:überspringen|ignorieren|deaktivieren|löschen)\b",
            r"\b(?:ignore[rz]?|saute[rz]?|désactive[rz]?|supprime[rz]?)\s+(?:les\s+|des\s+)?tests\b",
            r"\b(?:omite|omitir|salta|saltar|ignora|ignorar|desactiva|desactivar|elimina|eliminar|borra)"
            r"\s+(?:las\s+|los\s+)?(?:pruebas|tests)\b",
            r"\b(?:pule|pular|ignore|ignorar|desative|desativar|remova|remover|apague)\s+(?:os\s+)?"
            r"testes\b",
            r"\b(?:salta\w*|ignora\w*|disattiva\w*|elimina\w*|cancella\w*|commenta\w*)\s+(?:i\s+|tutti\s+i"
            r"\s+)?test\b",
            r"\b(?:пропус\w*|удал\w*|отключ\w*|закомментир\w*|игнорир\w*)\s+(?:\w+\s+)?тест\w*"
            r"|\bтест\w*[^.\n]{0,30}\b(?:пропускать|удалять|отключать|игнорировать)\b",  # noqa: RUF001
            r"跳过(?:所有|失败的)?(?:的)?测试|(?:删除|注释掉|禁用)(?:失败的)?测试",
            r"テストを(?:スキップ|無効に|削除)",
        ),
        "tells the agent to skip, disable or delete tests",
    ),
    Directive(
        SKIP_TESTS,
        # Found from the verb back ("... flaky, delete it"): a scan ahead from every "test" of a
        # file about tests cost more than all the other patterns together.
        _rx(
            rf"\b(?:{_DROP_VERB})\s+(?:it|them|the\s+tests?|that\s+test)\b",
            r"\bcomment(?:ing)?\s+(?:it|them)\s+out\b",
        ),
        "tells the agent to skip, disable or delete tests",
        before=(re.compile(rf"\btests?\b[^.;\n]{{0,80}}\b(?:{_TROUBLE})[^.;\n]{{0,40}}$", _F),),
    ),
    Directive(
        SKIP_TESTS,
        _rx(r"\b(?:eliminal[oi]|cancellal[oi]|saltal[oi]|disattival[oi]|commental[oi])\b"),
        "tells the agent to skip, disable or delete tests",
        before=(re.compile(r"\btest\b[^.\n]{0,40}$", _F),),  # "Se un test fallisce, eliminalo"
    ),
    Directive(
        SKIP_TESTS,
        _rx(
            r"\b(?:don'?t|do\s+not|no\s+need\s+to|you\s+(?:don'?t|do\s+not)\s+(?:need|have)\s+to)"
            r"\s+(?:bother\s+(?:to\s+)?)?(?:run(?:ning)?|execute|write)\s+(?:the\s+|any\s+)?"
            r"(?:unit\s+)?tests?\b(?!\s+(?:in|against|with|on|from|inside|under|using|via|twice))",
            r"不(?:用|需要|必)(?:运行|跑|执行)测试",
            r"\b(?:ne\s+lance|ne\s+lancez)\s+pas\s+les\s+tests\b|\bno\s+ejecutes\s+las\s+pruebas\b"
            r"|\bnão\s+(?:rode|execute)\s+os\s+testes\b|\bführe\s+keine\s+tests\b",
        ),
        "tells the agent not to run the tests",
        negatable=False,
    ),
    Directive(
        SKIP_TESTS,
        _rx(
            rf"\b(?:mark|decorate|tag|annotate)\s+(?:them|it|the\s+test|(?:the\s+)?{_BROKEN}\s+tests?)"
            rf"(?:\s+(?:with|as))?\s+{_Q}(?:@?pytest\.mark\.(?:skip|xfail)\b|skip(?:ped)?\b|xfail\b"
            r"|@Disabled|@Ignore|todo\b)",
            rf"{_SKIP_MARKER}",
        ),
        "tells the agent to mark failing tests as skipped",
        needs=_FAILING,
    ),
    # -- disable checks and hooks
    Directive(
        DISABLE_CHECKS,
        _rx(
            r"--no-verify\b",
            r"\bHUSKY=0\b|\bHUSKY_SKIP_HOOKS=1\b|\bSKIP=[\w,-]+\s+git\s+commit\b",
            r"\bcore\.hooksPath=/dev/null\b|\bpre-commit\s+uninstall\b",
            r"\b(?:skip|bypass|disable|ignore|turn\s+off|get\s+(?:past|around)|circumvent)\s+"
            r"(?:the\s+|all\s+|any\s+)?(?:git\s+|pre-commit\s+|commit\s+|lint(?:ing)?\s+|husky\s+"
            r"|ci\s+|status\s+)*(?:hooks?|linters?|lint\s+checks?|type\s*check(?:s|er|ing)?|checks)\b",
            rf"\b{_LOWER}\s+(?:the\s+|our\s+|its\s+)?{_Q}(?:thresholds?|floor|{_COVERAGE_LIMIT})",
            rf"\b{_LOWER}\s+(?:the\s+|our\s+|its\s+)?(?:{_Q}coverage{_Q}|test\s+coverage)\s+"
            r"(?:thresholds?|floor|minimum|requirements?|target|gate|bar|limit)",
            rf"\b(?:set|change)\s+{_Q}(?:fail_under|fail-under|--cov-fail-under|--fail-under)"
            rf"(?:{_Q}\s*(?:=|to)\s*|=){_Q}0\b",
            r"\bcontinue-on-error:\s*true\b",
        ),
        "tells the agent to bypass hooks or checks",
    ),
    Directive(
        DISABLE_CHECKS,
        _rx(
            rf"\b(?:raise|increase|bump)\s+(?:the\s+)?{_Q}(?:max[-_ ]?(?:line[-_ ]?length"
            r"|complexity|args|statements|branches|warnings|locals)|line[-_ ]length\s+limit"
            r"|complexity\s+limit)",
            r"\badd\s+(?:it|them|the\s+(?:rule|code|error|file|module|path)s?|that\s+\w+)\s+to\s+"
            rf"(?:the\s+)?{_Q}(?:per-file-ignores|extend-ignore|ignore|ignores|disable|exclude|omit"
            r"|baseline)\b",
        ),
        "tells the agent to loosen a checker's configuration until it stops complaining",
        needs=_COMPLAINS,
    ),
    Directive(
        DISABLE_CHECKS,
        _rx(_SUPPRESS),
        "tells the agent to silence a checker instead of fixing what it reports",
        needs=_COMPLAINS,
    ),
    Directive(
        DISABLE_CHECKS,
        _rx(r"\[(?:skip\s+ci|ci\s+skip|no\s+ci|skip\s+actions)\]"),
        "tells the agent to skip CI on its commits",
        unless=_DOCS_ONLY,
    ),
    # -- protected branches and review
    Directive(
        PROTECTED_BRANCH,
        _rx(
            r"\bpush(?:ing|es)?\b(?:\s+(?:your|the|all|my)\s+(?:changes|commits|fixes|work))?"
            rf"\s+(?:it\s+|them\s+)?(?:directly\s+|straight\s+)?(?:to|into|on(?:to)?)\s+(?:the\s+)?"
            rf"{_PROTECTED}{_NOT_A_BRANCH}",
        ),
        "tells the agent to push to a protected branch",
        not_before=_PUSH_EVENT_BEFORE,
        not_after=_PUSH_EVENT_AFTER,
    ),
    Directive(
        PROTECTED_BRANCH,
        _rx(
            rf"\bgit\s+push\s+(?:-u\s+|--set-upstream\s+)?[\w.-]+\s+(?:HEAD:)?{_PROTECTED}",
            rf"\bforce[- ]push(?:ing|es)?\s+(?:to\s+)?(?:the\s+)?{_PROTECTED}",
            rf"\bgit\s+push\b[^\n`]*(?:--force(?!-with-lease)|\s-f\b)[^\n`]*?{_PROTECTED}",
            rf"\bgit\s+push\b[^\n`]*?{_PROTECTED}[^\n`]*(?:--force(?!-with-lease)|\s-f\b)",
            rf"\bcommit(?:s|ting)?\s+(?:\w+\s+)?(?:directly|straight)\s+(?:to|on|into)\s+{_PROTECTED}",
            r"\bmerge\b[^.;\n]{0,80}\bwithout\s+(?:a\s+|any\s+)?(?:waiting\s+for\s+(?:a\s+)?)?"
            r"(?:reviews?|approvals?|reviewers?|code\s+review)",
            r"\bno\s+need\s+to\s+wait\s+for\s+(?:a\s+|any\s+)?(?:reviews?|approvals?|reviewers?)",
            r"\bgh\s+pr\s+merge\b[^\n`]*--admin\b",
            r"\b(?:approve|self-approve)\s+your\s+own\s+(?:prs?|pull\s+requests?|changes)",
            r"\b(?:bypass|disable|turn\s+off|remove)\s+(?:the\s+)?branch\s+protection",
            r"\bpouss\w*\s+(?:directement\s+)?(?:sur|vers|dans)\s+(?:la\s+branche\s+)?(?:main|master)\b",
            r"\b(?:empuja\w*|haz\s+push|sube\w*)\s+(?:directamente\s+)?(?:a|en)\s+(?:la\s+rama\s+)?"
            r"(?:main|master)\b",
            r"\b(?:faça\s+push|push|envie|empurre)\s+(?:direto|diretamente)\s+(?:na|no|para\s+a|para\s+o)"
            r"\s+(?:branch\s+)?(?:main|master)\b",
            r"\bpush\w*\s+(?:direkt\s+)?(?:auf|nach|in)\s+(?:den\s+)?(?:main|master)(?:-branch)?\b",
            r"直接(?:推送|提交|push)(?:到|至)?\s*`?(?:main|master)",
            r"(?:main|master)\s*ブランチに直接(?:プッシュ|push|コミット)",
        ),
        "tells the agent to push to a protected branch or merge without review",
    ),
    # -- sending data out
    Directive(
        EXFILTRATION,
        _rx(
            r"\$\(\s*(?:env|printenv|set)\s*\)|\b(?:env|printenv)\s*\|\s*(?:curl|wget|nc|ncat)\b",
            rf"\$\(\s*cat\s+{_SENSITIVE_FILE}",
            rf"(?:--post-file|--upload-file|--data(?:-binary|-raw|-urlencode)?|-d|-T|-F\s*\w+=)"
            rf"[\s=]*{_Q}@?{_SENSITIVE_FILE}",
        ),
        "tells the agent to send local secrets or the environment over the network",
        needs=re.compile(r"\b(?:curl|wget|nc|ncat|http|Invoke-WebRequest|iwr|fetch)\b", _F),
    ),
    Directive(
        EXFILTRATION,
        _rx(_SENSITIVE_VAR),
        "tells the agent to send a secret from the environment in a request",
        before=(
            re.compile(r"\b(?:curl|wget|Invoke-WebRequest|iwr)\b", _F),
            # the secret is in the request's query or body, not in a header after the body
            re.compile(
                r"(?:[?&]\w+=|\s(?:-d|--data\S*|-F|--form|--post-data)[\s=]+)"
                r"(?:(?!\s-{1,2}[A-Za-z])[^\n]){0,200}$",
                _F,
            ),
        ),
    ),
    Directive(
        EXFILTRATION,
        _rx(
            r"\b(?:send|post|upload|share|forward|transmit|paste|exfiltrate|e-?mail)\s+"
            rf"(?:\w+\s+){{0,3}}?(?:(?:the\s+)?contents?\s+of\s+)?{_Q}{_SENSITIVE}",
            r"(?:发送|上传|提交)[^。\n]{0,20}(?:令牌|密钥|token|\.env|凭据)",
        ),
        "tells the agent to send secrets to another place",
        needs=_DESTINATION,
    ),
)

_NEGATION_WORDS = (
    r"\b(?:never|don'?t|do\s+not|does\s+not|doesn'?t|must\s+not|mustn'?t|should\s+not|shouldn'?t"
    r"|cannot|can'?t|avoid|instead\s+of|rather\s+than|no|not|forbid\w*|prohibit\w*|nie|niemals|nicht"
    r"|keine?|jamais|pas|ne|n'|nunca|jamás|não|ni|mai|non|никогда|не|нельзя|запрещено)\b"
    r"|不要|不得|禁止|切勿|别|不能|不可|请勿|避免|绝不|决不|不许|不准|严禁|勿"
)
# A word joined by a hyphen is part of a name (`--no-verify`, `non-critical`), not a negation.
_NEGATION_BEFORE = re.compile(rf"(?<![-\w])(?:{_NEGATION_WORDS})(?!-)", _F)
_NEGATION_AFTER = re.compile(
    r"^[^.;\n]{0,60}?(?:\b(?:is|are)\s+(?:not\s+(?:allowed|permitted)|forbidden|prohibited"
    r"|disallowed|blocked|disabled|rejected)|\bnot\s+allowed|しないで|しない|禁止|してはいけない"
    r"|してはならない|厳禁)",
    _F,
)


_CLAUSE_END = re.compile(r"[,;:(\u3001\uff0c\uff1b]")
# A negation word right after the verb it bans: German and Dutch put it there ("Lösche die
# Tests nicht"), as Japanese puts its しないで.
_NEGATION_NEXT = re.compile(r"\s*(?:nicht|nie|niemals|niet|nooit)\b", _F)
_LEAD = re.compile(r"^[\W_]*(?:(?:important|note|rule|nb)\W+)?", _F)
# A cross or stop sign opening a list item: the "❌ Force push to main" of a list of don'ts.
_BAN_MARK = re.compile(r"^[\s>*_-]*(?:\u274c|\U0001f6ab|\u26d4|\u2717|\u2718|\u00d7|:x:|:no_entry)")
# "To skip the tests, pass -DskipTests": how to do something, not an order to do it.
_HOW_TO = re.compile(r"(?:to|if\s+you\s+(?:want|need|wish)\s+to|in\s+order\s+to)\s+$", _F)
# A heading or list intro that makes the list below it a list of bans.
BAN_CONTEXT = re.compile(
    r"\b(?:don'?ts?|do\s+not|never|avoid|forbidden|prohibited|not\s+allowed|must\s+not"
    r"|anti-?patterns?|what\s+not\s+to\s+do)\b"
    r"|\u274c|\U0001f6ab|\u26d4|禁止|不要|してはいけない",
    _F,
)
_OPENING_BAN = re.compile(
    r"(?:please\s+|you\s+(?:must|should|shall)\s+|agents?\s+(?:must|should|shall)\s+)?"
    r"(?:never|don'?t|do\s+not|must\s+not|avoid|no|not|nie|niemals|nicht|ne|jamais|nunca|no|não|non"
    r"|mai|никогда|не|нельзя)\b|不要|不得|禁止|切勿|请勿|别|避免|绝不|决不|严禁",
    _F,
)


def negated(sentence: str, start: int, end: int) -> bool:
    """Whether the sentence bans what the match describes ("never push to main").

    A negation counts in the match's own clause, or when it opens the sentence ("Do not
    disable rules with `# noqa`, `eslint-disable` ..." or a list item's "❌"); one in an earlier
    clause ("if the hooks fail on files you did not touch, commit with --no-verify") does not.
    A sentence that opens with the match's purpose ("To skip the tests, pass -DskipTests") says
    how, not that the agent should.
    """
    if _BAN_MARK.match(sentence):
        return True
    clause = max((m.end() for m in _CLAUSE_END.finditer(sentence, 0, start)), default=0)
    if _NEGATION_BEFORE.search(sentence, clause, start):
        return True
    if _negated_inside(sentence, start, end) or _NEGATION_NEXT.match(sentence, end):
        return True
    lead = _LEAD.match(sentence)
    opening = lead.end() if lead else 0
    if opening < start and _OPENING_BAN.match(sentence, opening):
        return True
    if _HOW_TO.fullmatch(sentence, opening, start):
        return True
    return bool(_NEGATION_AFTER.search(sentence[end:]))


def _negated_inside(sentence: str, start: int, end: int) -> bool:
    """A negation inside the match, in the clause that ends it: where the verb comes last
    ("Tests niemals überspringen", "Тесты не удалять", "If a test fails, do not delete it",
    "fix it instead of deleting it"). One in an earlier clause of the match ("if a test is not
    passing, delete it") is the condition, not a ban."""
    clause = max((m.end() for m in _CLAUSE_END.finditer(sentence, start, end)), default=start)
    return bool(_NEGATION_BEFORE.search(sentence, clause, end))


def directive_at(directive: Directive, sentence: str) -> int | None:
    """Where the first match of the directive that the sentence does not ban starts."""
    if directive.needs is not None and not directive.needs.search(sentence):
        return None
    if directive.unless is not None and directive.unless.search(sentence):
        return None
    for match in directive.pattern.finditer(sentence):
        ahead = sentence[max(0, match.start() - BEFORE) : match.start()]
        if not all(p.search(ahead) for p in directive.before):
            continue
        if directive.not_before is not None and directive.not_before.search(ahead):
            continue
        if directive.not_after is not None and directive.not_after.match(sentence, match.end()):
            continue
        if not directive.negatable or not negated(sentence, match.start(), match.end()):
            return match.start()
    return None
