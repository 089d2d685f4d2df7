"""The mock OSO broker (Traffic Center and counterpart schools) on Starlette/uvicorn."""
