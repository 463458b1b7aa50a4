CREATE SCHEMA "srsr";
--> statement-breakpoint
CREATE TABLE "srsr"."changes" (
	"idx" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "srsr"."changes_idx_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 2 CACHE 1),
	"type" text NOT NULL,
	"name" text NOT NULL,
	"instance" jsonb NOT NULL,
	"at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "srsr"."instances" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"address" text NOT NULL,
	"meta" jsonb NOT NULL,
	"ttl" double precision NOT NULL,
	"ttl_ms" bigint NOT NULL,
	"registered_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "srsr"."migrations" (
	"version" integer PRIMARY KEY NOT NULL,
	"tag" text NOT NULL,
	"applied_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "instances_name" ON "srsr"."instances" USING btree ("name");--> statement-breakpoint
CREATE INDEX "instances_expires_at" ON "srsr"."instances" USING btree ("expires_at");