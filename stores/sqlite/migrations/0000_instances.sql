CREATE TABLE `instances` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`address` text NOT NULL,
	`registered_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`metadata` text
);
--> statement-breakpoint
CREATE INDEX `instances_name` ON `instances` (`name`);