"""langchain-tests' standard unit suite for the offline chat model.

Feature flags state honestly what the model does:
- it calls tools (`bind_tools` with `tool_choice`), so the tool-binding test runs;
- it cannot fill arbitrary schemas, so it does not claim structured output (`has_structured_output`
  is False; `with_structured_output` raises NotImplementedError, tested in tests/unit);
- it reports no token usage (nothing is tokenized), so `returns_usage_metadata` is False;
- it does not claim LangChain serialization (`is_lc_serializable()` stays False, the BaseChatModel
  default): langchain-core's `load(allowed_objects="all")`, which the suite's serdes test uses,
  admits only classes in langchain-core's own mapping, so no third-party model can pass it. The
  suite reports that one test as skipped ("Model is not serializable.") for exactly this reason;
- it reads no environment: the init-from-env check sets the variables that select ChatOpenAI and
  expects the offline model to stay exactly as it was.
"""

from __future__ import annotations

from langchain_tests.unit_tests import ChatModelUnitTests

from communicator_escalation.agent.offline.model import OfflineChatModel


class TestOfflineChatModelStandard(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[OfflineChatModel]:
        return OfflineChatModel

    @property
    def chat_model_params(self) -> dict[str, str]:
        return {"model": "escalation-offline"}

    @property
    def has_structured_output(self) -> bool:
        return False

    @property
    def returns_usage_metadata(self) -> bool:
        return False

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        return (
            {"OPENAI_API_KEY": "sk-not-used", "ESCALATION_LLM_MODEL": "gpt-not-used"},
            {},
            {"model": "escalation-offline"},
        )
