"""anthropic-batches: an async-first, typed SDK for the Anthropic Message Batches API.

`AsyncClient` for asyncio services and FastAPI apps, `Client` (generated from the same source)
for scripts; typed models; results streamed with flat memory.
"""

from types import FunctionType as _FunctionType

from ._async.batches import AsyncBatches, AsyncMessages
from ._async.client import AsyncClient, TimeoutTypes
from ._async.estimate import estimate_cost
from ._async.jobs import AsyncJob
from ._async.pagination import AsyncPager
from ._async.results import AsyncResultStream
from ._budget import BudgetError, BudgetExceeded, UnpricedModelError
from ._cache import ResponseCache, SQLiteCache
from ._estimates import Estimate, ModelEstimate
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BatchesError,
    BatchValidationError,
    ClientClosedRequestError,
    ConflictError,
    ContentTooLargeError,
    ContractSpendLimitReachedError,
    EnforcedSpendLimitReachedError,
    GatewayTimeoutError,
    HTTPNotImplementedError,
    InternalServerError,
    LinkedOrganizationSpendLimitReachedError,
    NotFoundError,
    OrganizationOnHoldError,
    OverloadedError,
    PaymentRequiredError,
    PermissionDeniedError,
    PreconditionFailedError,
    Problem,
    ProblemCode,
    RampLimitExceededError,
    RateLimitError,
    RequestBodyTooLargeAfterDecodingError,
    RequestHeaderFieldsTooLargeError,
    RequestTimeoutError,
    RequestTooLargeError,
    ResultsDecodeError,
    ServiceUnavailableError,
    UnprocessableEntityError,
    WaitTimeoutError,
)
from ._joins import (
    RETRYABLE_ERROR_TYPES,
    Missing,
    failed_requests,
    results_by_custom_id,
    results_in_input_order,
)
from ._models import (
    BatchRequest,
    BatchResult,
    CacheCreation,
    CanceledResult,
    Container,
    ContentBlock,
    DeletedMessageBatch,
    ErroredResult,
    ErrorObject,
    ErrorResponse,
    ExpiredResult,
    Message,
    MessageBatch,
    Page,
    RedactedThinkingBlock,
    RequestCounts,
    Result,
    ServerToolUsage,
    StopDetails,
    SucceededResult,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    UnknownBlock,
    UnknownResult,
    Usage,
)
from ._output_parts import OutputError, OutputFormat, PartsOutput, PartWriter
from ._parquet import read_parquet_results
from ._prices import PriceFileError, PricesLike, load_prices
from ._progress import JobProgress, PartProgress, ProgressCallback
from ._requests_file import FileProblem, RequestsFileError, read_requests
from ._shared import API_VERSIONS, DEFAULT_API_VERSION, NOT_GIVEN, NotGiven
from ._split import JobPart, RequestLike, split_requests
from ._state import JobStateError
from ._stores import FileStore, JobStore, JobStoreError, JobSummary, PostgresStore, open_store
from ._sync.batches import Batches, Messages
from ._sync.client import Client
from ._sync.estimate import estimate_cost as estimate_cost_sync
from ._sync.jobs import Job
from ._sync.pagination import Pager
from ._sync.results import ResultStream
from ._usage import (
    BATCH_DISCOUNT,
    DEFAULT_PRICES,
    CostEstimate,
    ModelPrice,
    TokenTotals,
    UsageSummary,
)
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "API_VERSIONS",
    "AsyncBatches",
    "AsyncClient",
    "AsyncJob",
    "AsyncMessages",
    "AsyncPager",
    "AsyncResultStream",
    "AuthenticationError",
    "BATCH_DISCOUNT",
    "BadRequestError",
    "BatchRequest",
    "BatchResult",
    "BatchValidationError",
    "Batches",
    "BatchesError",
    "BudgetError",
    "BudgetExceeded",
    "CacheCreation",
    "CanceledResult",
    "Client",
    "ClientClosedRequestError",
    "ConflictError",
    "Container",
    "ContentBlock",
    "ContentTooLargeError",
    "ContractSpendLimitReachedError",
    "CostEstimate",
    "DEFAULT_API_VERSION",
    "DEFAULT_PRICES",
    "DeletedMessageBatch",
    "EnforcedSpendLimitReachedError",
    "ErrorObject",
    "ErrorResponse",
    "ErroredResult",
    "Estimate",
    "ExpiredResult",
    "FileProblem",
    "FileStore",
    "GatewayTimeoutError",
    "HTTPNotImplementedError",
    "InternalServerError",
    "Job",
    "JobPart",
    "JobProgress",
    "JobStateError",
    "JobStore",
    "JobStoreError",
    "JobSummary",
    "LinkedOrganizationSpendLimitReachedError",
    "Message",
    "MessageBatch",
    "Messages",
    "Missing",
    "ModelEstimate",
    "ModelPrice",
    "NOT_GIVEN",
    "NotFoundError",
    "NotGiven",
    "OrganizationOnHoldError",
    "OutputError",
    "OutputFormat",
    "OverloadedError",
    "Page",
    "Pager",
    "PartProgress",
    "PartWriter",
    "PartsOutput",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "PostgresStore",
    "PreconditionFailedError",
    "PriceFileError",
    "PricesLike",
    "Problem",
    "ProblemCode",
    "ProgressCallback",
    "RETRYABLE_ERROR_TYPES",
    "RampLimitExceededError",
    "RateLimitError",
    "RedactedThinkingBlock",
    "RequestBodyTooLargeAfterDecodingError",
    "RequestCounts",
    "RequestHeaderFieldsTooLargeError",
    "RequestLike",
    "RequestTimeoutError",
    "RequestTooLargeError",
    "RequestsFileError",
    "ResponseCache",
    "Result",
    "ResultStream",
    "ResultsDecodeError",
    "SQLiteCache",
    "ServerToolUsage",
    "ServiceUnavailableError",
    "StopDetails",
    "SucceededResult",
    "TextBlock",
    "ThinkingBlock",
    "TimeoutTypes",
    "TokenTotals",
    "ToolUseBlock",
    "UnknownBlock",
    "UnknownResult",
    "UnpricedModelError",
    "UnprocessableEntityError",
    "Usage",
    "UsageSummary",
    "WaitTimeoutError",
    "__version__",
    "estimate_cost",
    "estimate_cost_sync",
    "failed_requests",
    "load_prices",
    "open_store",
    "read_parquet_results",
    "read_requests",
    "results_by_custom_id",
    "results_in_input_order",
    "split_requests",
]

# Public classes and functions report the package as their home, so reprs, tracebacks, pickles
# and help() name `anthropic_batches.Client`, not the private module it is written in.
for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type | _FunctionType) and _value.__module__.startswith(__name__ + "._"):
        _value.__module__ = __name__
del _name, _value
