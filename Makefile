# A thin layer over npm scripts and the ops scripts. `make help` lists the targets.
.PHONY: help dev deps services stop status build lint test bench migrate admin

help:
	@echo "make dev       install what is missing, start MariaDB, clamd, the app, the worker and a demo site"
	@echo "make test      run every test (starts MariaDB and clamd for tests if needed)"
	@echo "make lint      type-check, eslint, prettier and svelte-check"
	@echo "make bench     measure Parley against a bare Socket.IO relay"
	@echo "make admin     create the first admin account and print its password once"
	@echo "make migrate   bring the database schema up to date"
	@echo "make services  start the private MariaDB and clamd;  make stop  stops them"

dev:
	@bash ops/dev/run.sh

deps:
	@bash ops/dev/install-deps.sh

services: deps
	@bash ops/dev/secrets.sh
	@bash ops/dev/tls.sh
	@bash ops/dev/env.sh
	@bash ops/dev/services.sh start

stop:
	@bash ops/dev/services.sh stop

status:
	@bash ops/dev/services.sh status

build: deps
	@npm run --silent build:ui

lint: deps
	@npm run --silent lint

test: services build
	@npm test

bench: services
	@npm run --silent bench

migrate: services
	@node_modules/.bin/node --env-file=.parley/parley.env ops/migrate.ts

admin: migrate
	@node_modules/.bin/node --env-file=.parley/parley.env ops/admin.ts $(ARGS)
