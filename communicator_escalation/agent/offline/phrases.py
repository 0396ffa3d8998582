"""The English command phrases the offline model recognises, as regular expressions.

Every pattern runs on a tidied clause (polite filler and end punctuation taken off, see `intents.tidy`)
and ignores case; values the CSM dictates (a subject, replacement text, names) keep their case.
"""

from __future__ import annotations

import re

_F = re.IGNORECASE | re.DOTALL

LEADING = re.compile(
    r"^(?:please|pls|plz|kindly|ok(?:ay)?|hey|hi|hello|so|now|then|and|also|alright|great|thanks|yes|yeah|"
    r"can\s+(?:yo)?u|could\s+(?:yo)?u|would\s+(?:yo)?u|will\s+(?:yo)?u|would\s+you\s+mind|go\s+ahead\s+and|"
    r"i'?d\s+like\s+(?:you\s+)?to|i\s+want\s+(?:you\s+)?to|i\s+need\s+(?:you\s+)?to|let'?s|lets|help\s+me|"
    r"quickly|just)\b[\s,:;!.\-]*",
    _F,
)
TRAILING_WORDS = re.compile(r"[\s,;:]*\b(?:please|pls|plz|thanks|thank\s+you|thx|ty|for\s+me)[\s.!?…]*$", _F)
TRAILING_MARKS = re.compile(r"[\s!?…]+$", _F)
TRAILING_PUNCT = re.compile(r"[\s.!?…]+$", _F)
KEEP_DOT = re.compile(r"\b(?:inc|ltd|co|corp|bros|pty|llc|plc|gmbh|s\.a|n\.v|b\.v|s\.p\.a|ltda)\.$", _F)
QUOTES = "\"“”„«»'‘’`"
_OPEN_Q = r"[\"“”„«]"
_CLOSE_Q = r"[\"“”«»]"

CLAUSE_VERBS = (
    r"send|ship|add|include|cc|copy|loop|remove|drop|take|show|display|view|preview|open|cancel|discard|scrap|"
    r"draft|write|reply|respond|answer|prepare|compose|change|replace|swap|set|make|shorten|rewrite|"
    r"explain|tell|why|what|when|which|who|how|list|delete|don'?t|do\s+not|hold|approve|address"
)
CLAUSE_SPLIT = re.compile(
    rf"(?:\s*[,;]\s*(?:and\s+then|and|then|also|plus)?\s*|\s+(?:and\s+then|and|then|also|plus)\s+|[.!?]\s+)"
    rf"(?=(?:please\s+|pls\s+|also\s+|then\s+)?(?:{CLAUSE_VERBS})\b)",
    _F,
)

SUBJECT = [
    re.compile(r"^(?:change|set|update|make|rename|use|switch)\s+(?:the\s+)?subject(?:\s+line)?\s*"
               r"(?:(?:to\s+be|to|as|into)\s*[:=]?|[:=])\s*(?P<v>.+)$", _F),
    re.compile(r"^(?:the\s+|new\s+)?subject(?:\s+line)?\s*(?:should\s+be|is|:|=)\s*(?P<v>.+)$", _F),
]
BODY = re.compile(
    r"^(?:change|set|update|replace|make)\s+(?:the\s+)?body\s*(?:(?:to\s+be|to|with|as)\s*[:=]?|[:=])\s*(?P<v>.+?)\s*$", _F
)
REPLACE = [
    re.compile(rf"^(?:replace|swap|change)\s+{_OPEN_Q}(?P<a>.+?){_CLOSE_Q}\s+(?:with|by|to|for|into)\s+"
               rf"{_OPEN_Q}(?P<b>.*?){_CLOSE_Q}$", _F),
    re.compile(r"^(?:replace|swap|change)\s+['‘](?P<a>.+?)['’]\s+(?:with|by|to|for|into)\s+['‘](?P<b>.*?)['’]$", _F),
    re.compile(r"^replace\s+(?P<a>.+?)\s+with\s+(?P<b>.+)$", _F),
]
DELETE_TEXT = re.compile(
    rf"^(?:delete|remove|drop|cut)\s+(?:the\s+\w+\s+)?{_OPEN_Q}(?P<a>.+?){_CLOSE_Q}"
    rf"(?:\s+from\s+the\s+(?:body|draft|email|subject))?$",
    _F,
)
RECIPIENT = [
    re.compile(r"^(?:change|set|switch|update)\s+(?:the\s+)?(?:recipient|to(?:\s+line)?|addressee)\s+(?:to|as)\s+(?P<v>.+)$", _F),
    re.compile(r"^(?:address|send|direct)\s+(?:it|this|the\s+(?:draft|email|reply|response))\s+to\s+(?P<v>.+?)"
               r"(?:\s+instead)?$", _F),
    re.compile(r"^make\s+(?P<v>.+?)\s+the\s+recipient$", _F),
    re.compile(r"^to\s*:\s*(?P<v>.+)$", _F),
]

CC_WORD = r"(?:ccs?|cc'?s|cc\s+line|cc\s+list|copy|copied)"
ADD_ALL = re.compile(
    r"^(?:add|include|cc|accept|use|apply|take)\s+(?:(?:all|of|the|these|those|every|each)\s+)*"
    r"(?:suggested(?:\s+(?:ccs?|cc'?s|people|recipients|stakeholders|ones))?|suggestions?|ccs?|cc'?s|them(?:\s+all)?|all|"
    r"everyone(?:\s+suggested)?)"
    r"(?:\s+(?:to\s+(?:the\s+)?(?:" + CC_WORD + r"|draft|email|response)|as\s+ccs?|too|as\s+well|suggested))?$",
    _F,
)
ADD_WHO = [
    re.compile(r"^(?:add|include|put|loop\s+in|bring\s+in|copy\s+in)\s+(?P<who>.+?)\s+(?:to|on|in|into|onto)\s+"
               r"(?:the\s+)?" + CC_WORD + r"$", _F),
    re.compile(r"^(?:add|include)\s+(?P<who>.+?)\s+as\s+(?:an?\s+)?(?:ccs?|cc'?s|copy)$", _F),
    re.compile(r"^(?:also\s+)?(?:cc|copy\s+in|loop\s+in)\s+(?P<who>.+)$", _F),
]
REMOVE_WHO = [
    re.compile(r"^(?:remove|drop|take|delete|strike)\s+(?P<who>.+?)\s+(?:off|from)\s+(?:of\s+)?(?:the\s+)?"
               r"(?:" + CC_WORD + r"|draft|email)$", _F),
    re.compile(r"^(?:remove|drop)\s+(?P<who>.+?)\s+as\s+(?:an?\s+)?(?:ccs?|cc'?s)$", _F),
    re.compile(r"^(?:don'?t|do\s+not|no\s+need\s+to)\s+cc\s+(?P<who>.+)$", _F),
    re.compile(r"^un-?cc\s+(?P<who>.+)$", _F),
    re.compile(r"^(?:remove|drop|take\s+off)\s+(?P<who>(?!(?:it|this|that|the\s+(?:draft|email|reply|response))$).+)$", _F),
]
WHO_SPLIT = re.compile(r"\s*(?:,|;|&|\+|\band\b|\bplus\b|\bas\s+well\s+as\b)\s*", _F)
WHO_ARTICLE = re.compile(r"^(?:the|our|also|both)\s+|\s+(?:too|as\s+well)$", _F)

HOLD = re.compile(r"\b(?:don'?t|do\s+not|never|hold\s+off(?:\s+on)?|wait\s+(?:before|to)|not\s+yet)\b.*\bsend", _F)
SEND = re.compile(
    r"^(?:approve(?:d)?(?:\s+and)?\s+|go\s+ahead(?:\s+and)?\s+|urgent(?:ly)?\s+|expedite(?:d)?(?:\s+and)?\s+|ok\s+)*"
    r"(?:send|ship|fire\s+off|dispatch)\b",
    _F,
)
URGENT = re.compile(
    r"\b(?:urgent(?:ly)?|expedit\w*|asap|immediately|right\s+away|high\s+priority|as\s+a\s+priority)\b", _F
)
CANCEL = re.compile(
    r"^(?:cancel|discard|scrap|trash|abandon|drop|delete|throw\s+away|forget|never\s*mind)"
    r"(?:\s+(?:it|this|that|this\s+one|the\s+(?:draft|response|email|reply|escalation\s+response)))?$",
    _F,
)
SHOW = re.compile(
    r"^(?:show|view|display|see|preview|open|print|read)\b(?:\s+me)?"
    r"(?:\s+(?:the|my|current|latest|it|again|draft|response|email|reply))*$"
    r"|^what\s+does\s+the\s+(?:draft|response|email)\s+look\s+like|^(?:where\s+is|what'?s\s+in)\s+the\s+draft",
    _F,
)
EDIT_HELP = re.compile(
    r"^(?:edit|change|modify|revise|tweak)(?:\s+(?:it|this|the\s+(?:draft|response|email)))?$|^how\s+(?:do|can)\s+i\s+edit", _F
)
SUGGEST = re.compile(
    r"^(?:who\s+(?:should|shall|do)\s+(?:i|we)\s+(?:cc|copy|loop\s+in|include))"
    r"|^(?:suggest|recommend|show|list)\b.*\b(?:ccs?|cc'?s|suggestions)\b$|^(?:suggested|recommended)\s+ccs?$",
    _F,
)
REDRAFT = re.compile(
    r"^(?:(?:make|keep)\s+(?:it|the\s+(?:draft|email|reply|response))\s+(?P<how>.+)"
    r"|(?:shorten|rewrite|redo|redraft|rephrase|reword|soften|tighten)\b.*"
    r"|(?:shorter|softer|warmer|friendlier|firmer|more\s+\w+|less\s+\w+)(?:\s+(?:tone|please|version))?"
    r"|(?:it'?s|this\s+is)\s+too\s+(?:long|formal|harsh|cold|stiff|apologetic|wordy))$",
    _F,
)

WHY = r"(?:why|how\s+come|explain|what'?s\s+the\s+reason|reason\s+for)"
EXPLAIN_TONE = re.compile(rf"\b{WHY}\b.*\b(?:tone|formal|warm|urgent|executive|apolog\w*)\b|\b(?:what|which)\s+tone\b", _F)
EXPLAIN_CCS = re.compile(rf"\b{WHY}\b.*\b(?:ccs?|cc'?d|cc'?s|copied|copy|these\s+people|suggested)\b", _F)
EXPLAIN_SLA = re.compile(
    r"\b(?:sla|deadline|how\s+long\s+do\s+(?:i|we)\s+have|how\s+much\s+time|time\s+left|"
    r"when\s+(?:is|are)\s+(?:the\s+)?(?:first\s+)?(?:response|reply|it)\s+due|when\s+(?:do|must|should)\s+(?:i|we)\s+"
    r"(?:respond|reply|answer))\b",
    _F,
)
STRATEGY = re.compile(r"\b(?:strategy|which\s+template|what\s+template|timeline)\b", _F)

NEXT = re.compile(
    r"\b(?:what'?s|what\s+is|what\s+should\s+i\s+(?:do|work\s+on|tackle|handle))\s+next\b|^next\b"
    r"|\b(?:which|who|what)\b.*\b(?:first|most\s+urgent|next)\b|\bmost\s+urgent\b|\bwhere\s+(?:do|should)\s+i\s+start\b"
    r"|\bneeds?\s+(?:me|attention|a\s+response)\s+first\b|\bprioriti[sz]e\b",
    _F,
)
INBOX = re.compile(
    r"\b(?:what|which|any|show|list|see|view|get)\b.*\b(?:open|outstanding|pending|active|unanswered)\b"
    r"|\b(?:open|outstanding|pending|active|unanswered)\s+escalations?\b|\bescalations?\b.*\b(?:open|pending|outstanding)\b"
    r"|\b(?:my|the)\s+(?:inbox|queue|plate)\b|^inbox$|^(?:list|show)\b.*\bescalations\b"
    r"|\bstatus\s+of\s+(?:the\s+|my\s+|our\s+)?escalations\b|\bwhat'?s\s+(?:on\s+)?(?:open|going\s+on|up)\b",
    _F,
)
SCOPE_TEAM = re.compile(r"\b(?:my|our|the)\s+team(?:'?s)?\b|\bteam'?s\b", _F)
SCOPE_MINE = re.compile(r"\b(?:my|mine|i\s+own|assigned\s+to\s+me)\b", _F)
SEVERITY = re.compile(r"\b(critical|high|medium|low)\b(?!\s+priority)", _F)
LIMIT = re.compile(r"\b(?:top|first|the)\s+(\d{1,2})\b|\b(\d{1,2})\s+(?:most\s+urgent|escalations|of\s+them)\b", _F)
UPDATE = re.compile(
    r"^(?:(?:draft|write|prepare|compose|create|make|do|get|start)\s+)?(?:(?:an?|the|my|our|new|next|another)\s+)*"
    r"(?:status\s+update|progress\s+update|update|closing\s+(?:email|e-mail|note|message))"
    r"(?:\s+(?:email|e-mail|message|note))?(?:\s+(?:for|to|on|about|with)\s+(?P<t>.+))?$",
    _F,
)
UPDATES_DUE = re.compile(
    r"\b(?:status\s+)?updates?\b.*\b(?:due|owed|overdue|pending|outstanding|next|coming\s+up)\b"
    r"|\b(?:due|owed|overdue|pending|outstanding)\s+(?:status\s+)?updates?\b"
    r"|\b(?:who|which\s+\w+)\s+(?:needs?|owes?|is\s+owed|am\s+i\s+owing)\s+(?:an?\s+)?(?:status\s+)?update\b",
    _F,
)
HELP = re.compile(r"\b(?:help|what\s+can\s+you\s+do|how\s+does\s+this\s+work|what\s+do\s+you\s+do|commands?)\b", _F)

DRAFT = re.compile(
    r"\b(?:draft|write|reply|replies|respond|answer|prepare|compose|acknowledge|handle|tackle|deal\s+with|get\s+back\s+to|"
    r"work\s+on|take\s+care\s+of)\b|\bescalation\s+(?:response|reply|email)\b|\b(?:response|reply|answer)\s+(?:for|to)\b"
    r"|\bneed(?:s)?\s+(?:a|an|to)\s+(?:response|reply|answer|respond|reply)\b",
    _F,
)
SIGNAL = re.compile(r"\b(?:risk[\s-]+)?signal\s*(?:id\s*)?[#:]?\s*(?P<id>[\w][\w.:/-]*)", _F)
ORDINAL = re.compile(
    r"\bthe\s+(?P<word>first|second|third|fourth|fifth|top|last)(?P<noun>\s+(?:one|escalation|item))?\b|#(?P<hash>\d{1,2})\b"
    r"|\bnumber\s+(?P<num>\d{1,2})\b",
    _F,
)
ORDINAL_WORDS = {"first": 1, "top": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}
