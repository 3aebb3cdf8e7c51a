.PHONY: demo dev test setup lint messages
demo:        ## set up everything and serve the demo on 127.0.0.1:8000 as production serves (DEBUG off, gunicorn)
	bash scripts/demo.sh
dev:         ## the same with runserver and DEBUG on (auto-reload, tracebacks) for development
	DEMO_DEBUG=1 bash scripts/demo.sh
test:        ## run the whole test suite (SQLite, then PostgreSQL when reachable)
	bash scripts/test.sh
setup:       ## create .venv, install, compile translations
	bash scripts/bootstrap.sh
lint:        ## ruff and the architecture contracts (import-linter)
	.venv/bin/ruff check .
	.venv/bin/lint-imports
messages:    ## refresh the .po files after changing strings
	.venv/bin/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --no-obsolete
