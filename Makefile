# Entry points for people and CI; the logic lives in scripts/.
.DEFAULT_GOAL := help
SHELL := /usr/bin/env bash

.PHONY: help bootstrap demo test build clean bench

help:
	@echo "make demo       run the demo against a local authorization server and gateway"
	@echo "make test       run every quality gate (lint, docs, build, sanity, units, pytest,"
	@echo "                ansible-lint, molecule, builder, changelog) and print their timings"
	@echo "make test-NAME  run one stage, e.g. make test-sanity  (stages: scripts/test --list)"
	@echo "make build      build the collection artifact hoop-gateway-<version>.tar.gz"
	@echo "make bootstrap  create .venv, install npm packages, link the collection for ansible"
	@echo "make bench      time the modules and the role against ansible.builtin.uri (bench/results/;"
	@echo "                BENCH_ARGS=--quick for a smoke run)"

bootstrap:
	@scripts/bootstrap

demo:
	@scripts/demo

test:
	@scripts/test

bench: bootstrap
	@.venv/bin/python bench/run.py $(BENCH_ARGS)

test-%:
	@scripts/test $*

build: bootstrap
	@.venv/bin/ansible-galaxy collection build --force --output-path . .

clean:
	rm -rf tests/output .cache/ruff hoop-gateway-*.tar.gz
